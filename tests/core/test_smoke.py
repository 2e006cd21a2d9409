import pytest

from tests.factories import make_member, org_child, org_root


@pytest.mark.django_db
def test_member_create_seals_pii():
    fed = org_root()
    union = org_child(fed)
    m = make_member(union, n=7)
    assert m.id_number_masked.startswith("331") and "*" in m.id_number_masked
    assert len(m.member_no) == 11
