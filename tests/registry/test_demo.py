from fupin.audit.models import AuditEntry
from fupin.core import idnumber
from fupin.registry.demo import DemoGenerator, build_demo_county
from fupin.registry.models import Household, Member


def test_demo_generator_is_deterministic():
    a = DemoGenerator(7).household("360722101200", "3607221012000001", [2025])
    b = DemoGenerator(7).household("360722101200", "3607221012000001", [2025])
    assert a == b


def test_demo_county_is_valid_and_plausible(db):
    result = build_demo_county(persons=600, seed=3)
    assert result["persons"] >= 600
    assert Household.objects.count() == result["households"]
    for m in Member.objects.select_related("household"):
        parsed = idnumber.parse(m.id_number)
        assert (parsed.sex, parsed.birth_date) == (m.sex, m.birth_date)
        assert m.village_code == m.household.village_id
    for h in Household.objects.prefetch_related("members"):
        assert [m.relation for m in h.members.all()].count("head") == 1
        assert h.size == len(h.members.all())
        assert h.village_id[9] == "2"  # village committees, not urban 居委会
    assert AuditEntry.objects.filter(action="seed_demo").count() == result["households"]
