"""A stolen database reveals no ID number (issue 10, item 3).

Members' birth dates are sealed (AES-GCM, purpose ``members.birth_date``) with only the year kept
in plain; the stored masked forms of ID numbers and phones (members and enrolments) are dropped,
since they are now derived from the ciphertext when shown. Existing rows are sealed here, in
batches; backwards, the plain columns are filled again from the ciphertexts."""

from __future__ import annotations

import datetime as dt

from django.db import migrations, models

BATCH = 2000
PURPOSE_ID_NUMBER = "members.id_number"
PURPOSE_PHONE = "members.phone"
PURPOSE_BIRTH_DATE = "members.birth_date"


def _batches(qs):
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def seal(apps, schema_editor):
    from gonghui.core import crypto

    Member = apps.get_model("members", "Member")
    for rows in _batches(Member.objects.all()):
        for m in rows:
            m.birth_date_cipher = crypto.encrypt(
                m.birth_date.isoformat(), purpose=PURPOSE_BIRTH_DATE
            )
            m.birth_year = m.birth_date.year
        Member.objects.bulk_update(rows, ["birth_date_cipher", "birth_year"])


def unseal(apps, schema_editor):
    from gonghui.core import crypto
    from gonghui.core.identifiers import mask_id_number, mask_phone

    for name in ("Member", "Enrolment"):
        model = apps.get_model("members", name)
        fields = ["id_number_masked", "phone_masked"]
        if name == "Member":
            fields.append("birth_date")
        for rows in _batches(model.objects.all()):
            for r in rows:
                r.id_number_masked = mask_id_number(
                    crypto.decrypt(r.id_number_cipher, purpose=PURPOSE_ID_NUMBER)
                )
                r.phone_masked = mask_phone(crypto.decrypt(r.phone_cipher, purpose=PURPOSE_PHONE))
                if name == "Member":
                    r.birth_date = dt.date.fromisoformat(
                        crypto.decrypt(r.birth_date_cipher, purpose=PURPOSE_BIRTH_DATE)
                    )
            model.objects.bulk_update(rows, fields)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_alter_serviceevent_member_alter_serviceevent_org"),
    ]

    operations = [
        # Nullable first, so that going backwards can add the column again to existing rows.
        migrations.AlterField(
            model_name="member",
            name="birth_date",
            field=models.DateField(null=True, verbose_name="Birth date"),
        ),
        migrations.AddField(
            model_name="member",
            name="birth_date_cipher",
            field=models.TextField(
                default="", editable=False, verbose_name="Birth date (encrypted)"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="member",
            name="birth_year",
            field=models.PositiveSmallIntegerField(
                editable=False, null=True, verbose_name="Birth year"
            ),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
        # A default, so that going backwards can add the masks again to existing rows.
        *(
            migrations.AlterField(
                model_name=model,
                name=name,
                field=models.CharField(
                    default="", editable=False, max_length=length, verbose_name=label
                ),
            )
            for model in ("member", "enrolment")
            for name, length, label in (
                ("id_number_masked", 18, "ID number"),
                ("phone_masked", 11, "Phone"),
            )
        ),
        migrations.RemoveField(model_name="member", name="birth_date"),
        migrations.RemoveField(model_name="member", name="id_number_masked"),
        migrations.RemoveField(model_name="member", name="phone_masked"),
        migrations.RemoveField(model_name="enrolment", name="id_number_masked"),
        migrations.RemoveField(model_name="enrolment", name="phone_masked"),
        migrations.AlterField(
            model_name="member",
            name="birth_year",
            field=models.PositiveSmallIntegerField(editable=False, verbose_name="Birth year"),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(birth_year__gte=1900), name="member_birth_year_real"
            ),
        ),
    ]
