"""The default case types and their steps (configuration: change them in the console)."""

from typing import Any

from django.db import migrations

DEFAULTS = [
    ("consultation", "法律咨询", 1, [("答复咨询", 1)]),
    (
        "wage_arrears",
        "欠薪求助",
        2,
        [("受理登记", 2), ("调查核实", 7), ("协调追讨", 15), ("结案回访", 5)],
    ),
    ("work_injury", "工伤维权", 3, [("受理登记", 3), ("协助工伤认定", 30), ("赔偿协调", 30)]),
    (
        "contract_dispute",
        "劳动合同纠纷",
        4,
        [("受理登记", 3), ("调解", 15), ("仲裁或诉讼援助", 45)],
    ),
]


def forwards(apps: Any, schema_editor: Any) -> None:
    CaseType = apps.get_model("rights", "CaseType")
    CaseStep = apps.get_model("rights", "CaseStep")
    for code, name, order, steps in DEFAULTS:
        case_type, created = CaseType.objects.get_or_create(
            code=code, defaults={"name": name, "order": order}
        )
        if created:
            for i, (step, days) in enumerate(steps, start=1):
                CaseStep.objects.create(case_type=case_type, order=i, name=step, due_days=days)


class Migration(migrations.Migration):
    dependencies = [("rights", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
