"""Reference data from `flask seed`: Henan's regions, 住培 specialties, 执业范围 codes."""
from sqlalchemy import func, select

from app.extensions import db
from app.seed.reference import seed_reference_data
from models import PracticeScope, Region, Specialty, University


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_regions_of_henan(app):
    assert count(Region, Region.level == "province") == 1
    assert count(Region, Region.level == "city") == 18
    assert count(Region, Region.level == "county") == 156
    zhengzhou = db.session.scalar(select(Region).where(Region.code == "410100"))
    assert zhengzhou.name == "郑州市" and zhengzhou.parent.code == "410000"
    zhongyuan = db.session.scalar(select(Region).where(Region.code == "410102"))
    assert zhongyuan.parent_id == zhengzhou.id and zhongyuan.full_name == "郑州市中原区"


def test_jiyuan_is_a_city_without_counties(app):
    jiyuan = db.session.scalar(select(Region).where(Region.code == "419001"))
    assert jiyuan.level == "city" and jiyuan.children == []


def test_specialties_and_shortage_flags(app):
    assert count(Specialty) == 35
    by_name = {s.name: s for s in db.session.scalars(select(Specialty))}
    assert by_name["全科"].code == "0700" and by_name["全科"].shortage
    assert by_name["儿科"].shortage and not by_name["内科"].shortage
    assert by_name["口腔全科"].code == "2800"


def test_practice_scopes(app):
    assert count(PracticeScope) == 20
    general = db.session.scalar(select(PracticeScope).where(PracticeScope.code == "21"))
    assert general.name == "全科医学专业" and general.category == "clinical"
    assert db.session.scalar(select(PracticeScope.category).where(PracticeScope.code == "52")) == "tcm"


def test_universities_with_their_city_and_whether_in_henan(app):
    by_name = {u.name: u for u in db.session.scalars(select(University))}
    assert by_name["郑州大学"].in_henan and by_name["郑州大学"].henan_city.name == "郑州市"
    assert by_name["新乡医学院"].henan_city.code == "410700"
    assert (by_name["北京大学"].in_henan, by_name["北京大学"].city_id, by_name["北京大学"].province) == (
        False, None, "北京市")


def test_seed_is_idempotent(app):
    seed_reference_data()  # the support contacts, unlike the reference tables, are emptied after each test
    before = (count(Region), count(Specialty), count(PracticeScope))
    assert seed_reference_data() == {"regions": 0, "specialties": 0, "practice_scopes": 0, "universities": 0,
                                     "support_contacts": 0}
    assert (count(Region), count(Specialty), count(PracticeScope)) == before


def test_seed_command(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0 and "regions +0" in result.output


def test_flask_seed_reports_what_it_added_and_is_idempotent(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("seeded: regions +0, specialties +0, practice_scopes +0")
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "support_contacts +0" in again.output
