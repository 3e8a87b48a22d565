"""Residency ranked admission (住培录取): the engine, its agreement with the ``matching`` package,
the dry run, publication (once, also under concurrency) and the back-office page."""
from __future__ import annotations

import ast
import io
import re
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from app.domain.admission import (
    AdmissionError,
    Applicant,
    TieBreakError,
    describe_tie_break,
    explain,
    parse_tie_break,
    plan,
    publish,
    rank_key,
    run,
)
from app.domain.privacy import mask_id_number
from app.domain.workflow import TransitionError, transition_many
from app.extensions import db
from models import Account, Application, AuditLog, Batch, Quota, ReviewRecord, SmsLog, Status
from models.enums import AdmissionResult
from tests.bench.admission_vs_matching import engine_assignment, matching_assignment, synthetic
from tests.catalogue import compiled
from tests.catalogue import zh as catalogue_zh
from tests.conftest import csrf_token
from tests.factories import PASSWORD, specialty
from tests.admission_scene import EXPORT, PAGE, T0, candidate, residency_batch, scene  # noqa: F401
from tests.queries import statements_for

PUBLISH = "/admin/admission/publish/"
INTERNAL, SURGERY, PEDIATRICS = 1, 2, 3


def zh(msgid, **params):
    """The Chinese of ``msgid`` in the compiled catalogue, as the pages show it."""
    return catalogue_zh(msgid, **params)


def applicant(number, combined, choices=(INTERNAL,), theory=None, skills=None, minutes=0, base=1):
    return Applicant(id=number, base_id=base, choices=tuple(choices),
                     combined=None if combined is None else Decimal(str(combined)),
                     theory=None if theory is None else Decimal(str(theory)),
                     skills=None if skills is None else Decimal(str(skills)),
                     submitted_at=T0 + timedelta(minutes=minutes))


NAMES = {INTERNAL: "内科", SURGERY: "外科", PEDIATRICS: "儿科"}


# --- engine ----------------------------------------------------------------------------------------

def test_ties_go_by_theory_then_skills_then_submission_then_number():
    people = [applicant(1, 80, theory=70, skills=90, minutes=5),
              applicant(2, 80, theory=75, skills=85, minutes=9),   # higher theory: first
              applicant(3, 80, theory=70, skills=95, minutes=9),   # same theory as 1, higher skills
              applicant(4, 80, theory=70, skills=90, minutes=1),   # same as 1 but submitted earlier
              applicant(6, 80, theory=70, skills=90, minutes=1),   # same as 4 in everything: number decides
              applicant(5, 81, theory=10, skills=10, minutes=99)]  # higher combined beats every tie-break
    ordered = [a.id for a in sorted(people, key=lambda a: rank_key(a, parse_tie_break("theory,skills,submitted_at")))]
    assert ordered == [5, 2, 3, 4, 6, 1]
    result = run(people, {(1, INTERNAL): 3})
    assert [i for i in result.order if result.outcomes[i].admitted] == [5, 2, 3]
    assert result.seats[(1, INTERNAL)].lowest == Decimal("80")


def test_configured_tie_break_changes_who_wins():
    people = [applicant(1, 80, theory=90, skills=60), applicant(2, 80, theory=60, skills=90)]
    assert run(people, {(1, INTERNAL): 1}, "theory,skills,submitted_at").outcomes[1].admitted
    assert run(people, {(1, INTERNAL): 1}, "skills,theory,submitted_at").outcomes[2].admitted
    late, early = applicant(1, 80, theory=90, minutes=50), applicant(2, 80, theory=60, minutes=1)
    assert run([late, early], {(1, INTERNAL): 1}, "submitted_at").outcomes[2].admitted
    assert run([late, early], {(1, INTERNAL): 1}, "").outcomes[1].admitted  # number alone


def test_invalid_tie_break_is_refused_with_the_unknown_key():
    for text, word in (("theory,age", "age"), ("theory,,bogus", "bogus"), ("theory,theory", "theory")):
        with pytest.raises(TieBreakError) as caught:
            run([applicant(1, 80)], {(1, INTERNAL): 1}, text)
        assert word in str(caught.value)
    assert parse_tie_break(" Skills , theory ") == ("skills", "theory")
    with pytest.raises(TieBreakError) as caught:
        parse_tie_break("theory,age")
    text = caught.value.message.render(zh)
    assert "age" in text and "未知" in text


def test_second_choice_when_the_first_is_full_and_the_explanations():
    people = [applicant(1, 90, (INTERNAL,)), applicant(2, 85, (INTERNAL, SURGERY)),
              applicant(3, 82.5, (INTERNAL, SURGERY)), applicant(4, 80, (INTERNAL, SURGERY))]
    result = run(people, {(1, INTERNAL): 1, (1, SURGERY): 2})
    assert [(o.admitted, o.specialty_id, o.choice_rank) for o in (result.outcomes[i] for i in (1, 2, 3, 4))] == [
        (True, INTERNAL, 1), (True, SURGERY, 2), (True, SURGERY, 2), (False, None, None)]
    assert result.seats[(1, INTERNAL)].admitted == 1 and result.seats[(1, SURGERY)].admitted == 2
    assert result.seats[(1, SURGERY)].lowest == Decimal("82.5")
    assert explain(result, 1, NAMES).render(zh) == "已录取：第一志愿 内科"
    assert explain(result, 2, NAMES).render(zh) == "已录取：第二志愿 外科（第一志愿 内科 名额已满，最低录取分 90.00）"
    assert explain(result, 4, NAMES).render(zh) == \
        "未录取：第一志愿 内科 名额已满，最低录取分 90.00；第二志愿 外科 名额已满，最低录取分 82.50"


def test_no_score_is_never_admitted_and_takes_no_place():
    people = [applicant(1, None, theory=99, skills=99), applicant(2, 60)]
    result = run(people, {(1, INTERNAL): 5})
    assert not result.outcomes[1].admitted and result.outcomes[1].position is None
    assert result.outcomes[2].admitted and result.seats[(1, INTERNAL)].admitted == 1
    assert result.order == [2, 1]
    assert explain(result, 1, NAMES).render(zh) == "未录取：无综合成绩"


def test_a_choice_without_places_at_the_base_and_other_bases_are_separate():
    people = [applicant(1, 90, (PEDIATRICS, INTERNAL), base=1), applicant(2, 95, (INTERNAL,), base=2)]
    result = run(people, {(1, INTERNAL): 1, (2, INTERNAL): 1, (1, PEDIATRICS): 0})
    assert result.outcomes[1].specialty_id == INTERNAL and result.outcomes[1].choice_rank == 2
    assert result.outcomes[2].admitted  # base 2's seat, not base 1's
    assert "第一志愿 儿科 在本基地没有名额" in explain(result, 1, NAMES).render(zh)


def test_the_rule_is_shown_in_words():
    text = describe_tie_break(parse_tie_break("skills,theory,submitted_at")).render(zh)
    assert text.index("技能") < text.index("理论") < text.index("报名") and "综合成绩" in text


def test_every_message_has_a_chinese_translation():
    catalogue = compiled()
    sources = [Path("app/domain/admission/engine.py"), Path("app/domain/admission/publication.py"),
               Path("views/admin/admission.py")]
    msgids = set()
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("N_", "_", "_l")
                    and node.args and isinstance(node.args[0], ast.Constant)):
                msgids.add(node.args[0].value)
    for template in Path("app/templates/admin").glob("admission*.html"):
        msgids.update(re.findall(r'_\(\s*"([^"]+)"', template.read_text(encoding="utf-8")))
        msgids.update(re.findall(r"_\(\s*'([^']+)'", template.read_text(encoding="utf-8")))
    missing = sorted(m for m in msgids if m not in catalogue)
    assert missing == []
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in catalogue[m]) for m in msgids)


def test_engine_matches_the_matching_package_on_20000_applicants():
    """Serial dictatorship = the resident-optimal stable matching of ``matching`` 1.4 (tests/bench)."""
    applicants, seats = synthetic(20000, seed=2025)
    ours = engine_assignment(applicants, seats, "theory,skills,submitted_at")
    assert ours == matching_assignment(applicants, seats, "theory,skills,submitted_at")
    result = run(applicants, seats, "theory,skills,submitted_at")
    second = sum(1 for o in result.outcomes.values() if o.admitted and o.choice_rank == 2)
    combined = [a.combined for a in applicants if a.combined is not None]
    assert 4000 < len(ours) < 15000 and second > 500  # scarce seats, second choices used
    assert len(set(combined)) < len(combined) / 50  # heavy ties
    assert all(stats.admitted <= stats.capacity for stats in result.seats.values())
    applicants, seats = synthetic(5000, seed=7)
    assert engine_assignment(applicants, seats, "skills,theory,submitted_at") == \
        matching_assignment(applicants, seats, "skills,theory,submitted_at", check_stability=True)


# --- database: a residency batch with candidates ---------------------------------------------------

def statuses(ids):
    return dict(db.session.execute(select(Application.id, Application.status).where(Application.id.in_(ids))).all())


def count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_dry_run_shows_the_results_and_changes_nothing(scene, client, auth):
    batch, people = scene
    before = statuses([a.id for a in people.values()])
    result = plan(batch)
    assert [result.outcomes[people[k].id].admitted for k in ("top", "second", "tie_loser", "out", "noscore", "ly")] \
        == [True, True, True, False, False, True]
    assert result.outcomes[people["tie_loser"].id].choice_rank == 2  # equal 85: the higher theory took 内科
    assert result.unscored == 1 and result.waiting == 1 and result.candidates == 6
    auth.login("province", PASSWORD)
    html = client.get(f"{PAGE}?batch_id={batch.id}").get_data(as_text=True)
    for name in ("甲一", "乙二", "丙三", "丁四", "戊五", "己六"):
        assert name in html
    assert "庚七" not in html  # not confirmed: not a candidate
    seats = html.split("admission-seats", 1)[1].split("</table>", 1)[0]
    assert "测试基地郑州" in seats and "内科" in seats and "85.00" in seats and "publish-button" in html
    assert statuses([a.id for a in people.values()]) == before
    assert count(ReviewRecord, ReviewRecord.application_id.in_([a.id for a in people.values()])) == 0
    assert count(SmsLog) == 0
    db.session.refresh(batch)
    assert batch.admission_published_at is None


def publish_through_page(client, batch, reason="缺考者无成绩，按计划公布"):
    """Publish from the confirmation page; the scene has a confirmed applicant without a score, so the
    province gives a reason."""
    confirm = client.get(f"{PUBLISH}?batch_id={batch.id}")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    fingerprint = html.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    return client.post(PUBLISH, data={"batch_id": str(batch.id), "fingerprint": fingerprint, "reason": reason,
                                      "csrf_token": csrf_token(client, PAGE)})


def test_publish_writes_statuses_notes_records_audit_and_sms(scene, client, auth, world):
    batch, people = scene
    auth.login("province", PASSWORD)
    response = publish_through_page(client, batch)
    assert response.status_code == 302
    ids = {key: a.id for key, a in people.items()}
    found = {a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(ids.values())))}
    top, second, loser, out, noscore = (found[ids[k]] for k in ("top", "second", "tie_loser", "out", "noscore"))
    assert (top.status, top.admission_result, top.admitted_choice_rank) == (
        Status.ADMITTED, AdmissionResult.ADMITTED, 1)
    assert top.admitted_specialty_id == specialty("0100").id
    assert (loser.status, loser.admitted_specialty_id, loser.admitted_choice_rank) == (
        Status.ADMITTED, specialty("0900").id, 2)
    assert (out.status, out.admission_result, out.admitted_specialty_id) == (
        Status.NOT_ADMITTED, AdmissionResult.NOT_ADMITTED, None)
    assert noscore.status == Status.NOT_ADMITTED and noscore.admission_note
    assert "85.00" in loser.admission_note and "85.00" in out.admission_note  # 内科's lowest admitted score
    assert found[ids["waiting"]].status == Status.BASE_APPROVED
    assert found[ids["waiting"]].admission_result == AdmissionResult.PENDING
    candidates = [ids[k] for k in ("top", "second", "tie_loser", "out", "noscore", "ly")]
    records = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id.in_(candidates))).all()
    assert sorted((r.application_id, r.action, r.level, r.actor_id) for r in records) == sorted(
        (i, "admit" if found[i].status == Status.ADMITTED else "not_admit", "province", world.accounts["province"].id)
        for i in candidates)
    assert all(r.reason == found[r.application_id].admission_note for r in records)
    assert count(AuditLog, AuditLog.table_name == "application", AuditLog.field_name == "status",
                 AuditLog.record_id.in_([str(i) for i in candidates])) == 6
    assert count(AuditLog, AuditLog.table_name == "batch", AuditLog.field_name == "admission_published_at") == 1
    sms = db.session.scalars(select(SmsLog)).all()
    assert sorted(m.phone for m in sms) == sorted(found[i].trainee.mobile for i in candidates)
    assert all(batch.name in m.content for m in sms)
    db.session.refresh(batch)
    assert batch.admission_published_by_id == world.accounts["province"].id and batch.admission_published_at
    admitted_per_seat = db.session.execute(
        select(Application.base_id, Application.admitted_specialty_id, func.count())
        .where(Application.batch_id == batch.id, Application.status == Status.ADMITTED)
        .group_by(Application.base_id, Application.admitted_specialty_id)).all()
    capacity = {(q.base_id, q.specialty_id): q.capacity for q in db.session.scalars(select(Quota).where(
        Quota.batch_id == batch.id))}
    assert all(n <= capacity[(b, s)] for b, s, n in admitted_per_seat)
    html = client.get(f"{PAGE}?batch_id={batch.id}").get_data(as_text=True)
    assert "admission-published" in html and "publish-button" not in html and "province" in html
    assert loser.admission_note in html


def test_publishing_twice_is_refused(scene, client, auth):
    batch, people = scene
    auth.login("province", PASSWORD)
    assert publish_through_page(client, batch).status_code == 302
    records, sms = count(ReviewRecord), count(SmsLog)
    again = client.post(PUBLISH, data={"batch_id": str(batch.id), "csrf_token": csrf_token(client, PAGE)})
    assert again.status_code == 409 and "publish-error" in again.get_data(as_text=True)
    province = db.session.scalar(select(Account).where(Account.username == "province"))
    with pytest.raises(AdmissionError):
        publish(db.session.get(Batch, batch.id), province)
    assert (count(ReviewRecord), count(SmsLog)) == (records, sms)
    assert client.get(f"{PUBLISH}?batch_id={batch.id}").status_code == 302  # back to the published page


def test_concurrent_publishers_publish_once(app, scene):
    """Several threads, each with its own app context and session, publish the same batch at once:
    one wins, the others are refused, every candidate has exactly one result."""
    batch, people = scene
    actor_id = db.session.scalar(select(Account.id).where(Account.username == "province"))
    n = 4
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker():
        with app.app_context():
            try:
                own_batch = db.session.get(Batch, batch.id)
                actor = db.session.get(Account, actor_id)
                barrier.wait(timeout=10)
                publish(own_batch, actor)
                result = "done"
            except AdmissionError as error:
                result = f"refused: {error}"
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                result = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("done") == 1 and len(outcomes) == n
    candidates = [a.id for k, a in people.items() if k != "waiting"]
    assert count(ReviewRecord, ReviewRecord.application_id.in_(candidates)) == len(candidates)
    assert count(SmsLog) == len(candidates)
    assert count(AuditLog, AuditLog.table_name == "batch") == 1


def test_a_changed_dry_run_is_not_published(scene, client, auth, world):
    batch, people = scene
    auth.login("province", PASSWORD)
    confirm = client.get(f"{PUBLISH}?batch_id={batch.id}").get_data(as_text=True)
    fingerprint = confirm.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    candidate(world, batch, "zz", ["0100"], 99)  # confirmed meanwhile, would take 内科
    response = client.post(PUBLISH, data={"batch_id": str(batch.id), "fingerprint": fingerprint,
                                          "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 409
    db.session.refresh(batch)
    assert batch.admission_published_at is None and count(ReviewRecord, ReviewRecord.level == "province") == 0
    assert statuses([people["top"].id])[people["top"].id] == Status.CONFIRMED


@pytest.mark.parametrize("username", ["base_zz", "base_ly", "city_zz", "county_zy", "support", "trainee_zy"])
def test_other_roles_are_refused(scene, client, auth, username):
    batch, _people = scene
    auth.login(username, PASSWORD)
    assert client.get(f"{PAGE}?batch_id={batch.id}").status_code == 403
    assert client.get(f"{EXPORT}?batch_id={batch.id}").status_code == 403
    token = csrf_token(client, "/portal/" if username.startswith("trainee") else "/admin/")
    assert client.post(PUBLISH, data={"batch_id": str(batch.id), "csrf_token": token}).status_code == 403
    db.session.refresh(batch)
    assert batch.admission_published_at is None and count(ReviewRecord, ReviewRecord.level == "province") == 0


def test_anonymous_goes_to_login_and_superuser_only_reads(scene, client, auth):
    batch, _people = scene
    response = client.get(f"{PAGE}?batch_id={batch.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login("super", PASSWORD)
    html = client.get(f"{PAGE}?batch_id={batch.id}").get_data(as_text=True)
    assert "甲一" in html and "publish-button" not in html
    assert client.post(PUBLISH, data={"batch_id": str(batch.id), "csrf_token": csrf_token(client, PAGE)}
                       ).status_code == 403
    db.session.refresh(batch)
    assert batch.admission_published_at is None


def test_missing_csrf_token_publishes_nothing(scene, client, auth):
    batch, _people = scene
    auth.login("province", PASSWORD)
    assert client.post(PUBLISH, data={"batch_id": str(batch.id)}).status_code == 400
    assert client.post(PUBLISH, data={"batch_id": str(batch.id), "csrf_token": "forged"}).status_code == 400
    db.session.refresh(batch)
    assert batch.admission_published_at is None and count(ReviewRecord, ReviewRecord.level == "province") == 0


def test_forged_or_wrong_batch_ids_get_a_message_and_change_nothing(scene, client, auth, world):
    batch, _people = scene
    auth.login("province", PASSWORD)
    for raw in (str(world.batches["gp"].id), "999999", "1,2", "abc", "-3"):
        response = client.get(f"{PAGE}?batch_id={raw}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "is-invalid" in html and "admission-rows" not in html
        response = client.post(PUBLISH, data={"batch_id": raw, "csrf_token": csrf_token(client, PAGE)})
        assert response.status_code == 400 and "is-invalid" in response.get_data(as_text=True)
    gp = world.batches["gp"]
    with pytest.raises(AdmissionError):
        publish(gp, world.accounts["province"])
    assert count(ReviewRecord, ReviewRecord.level == "province") == 0
    db.session.refresh(gp)
    assert gp.admission_published_at is None


def test_an_invalid_tie_break_blocks_publication(world, client, auth):
    batch = residency_batch(world, tie_break="theory,age")
    candidate(world, batch, "zz", ["0100"], 80)
    auth.login("province", PASSWORD)
    html = client.get(f"{PAGE}?batch_id={batch.id}").get_data(as_text=True)
    assert "tie-break-error" in html and "age" in html and "publish-button" not in html
    with pytest.raises(AdmissionError) as caught:
        publish(batch, world.accounts["province"])
    assert "age" in str(caught.value)
    db.session.refresh(batch)
    assert batch.admission_published_at is None and count(ReviewRecord, ReviewRecord.level == "province") == 0


def test_places_taken_earlier_are_not_given_again(world):
    batch = residency_batch(world, capacities={("zz", "0100"): 1})
    earlier = candidate(world, batch, "zz", ["0100"], 50, status=Status.ADMITTED)
    earlier.admitted_specialty_id = specialty("0100").id
    db.session.commit()
    newcomer = candidate(world, batch, "zz", ["0100"], 99)
    assert plan(batch).seat_lines[0].taken == 1
    publish(batch, world.accounts["province"])
    db.session.refresh(newcomer)
    assert newcomer.status == Status.NOT_ADMITTED
    # 内科 is full, but nobody was admitted to it in this run: no lowest score to quote
    assert "内科" in newcomer.admission_note and not any(ch.isdigit() for ch in newcomer.admission_note)
    result = run([applicant(1, 99)], {(1, INTERNAL): 0})
    assert explain(result, 1, NAMES, with_places={(1, INTERNAL)}).render(zh) == "未录取：第一志愿 内科 名额已满"
    assert explain(result, 1, NAMES).render(zh) == "未录取：第一志愿 内科 在本基地没有名额"


def test_transition_many_checks_role_state_and_scope(scene, world):
    batch, people = scene
    top, waiting = people["top"], people["waiting"]
    with pytest.raises(TransitionError):
        transition_many({"admit": [top]}, world.accounts["base_zz"])
    with pytest.raises(TransitionError):
        transition_many({"admit": [top, waiting]}, world.accounts["province"])
    db.session.rollback()
    assert statuses([top.id, waiting.id]) == {top.id: Status.CONFIRMED, waiting.id: Status.BASE_APPROVED}
    done = transition_many({"admit": [top]}, world.accounts["province"], values={top.id: {"admitted_choice_rank": 1}})
    db.session.commit()
    assert done == {"admit": [top.id]} and top.status == Status.ADMITTED and top.admitted_choice_rank == 1
    second = people["second"]
    db.session.execute(update(Application).where(Application.id == second.id)  # changed behind our back
                       .values(status=Status.NOT_ADMITTED).execution_options(synchronize_session=False))
    assert second.status == Status.CONFIRMED
    with pytest.raises(TransitionError):  # the conditional UPDATE finds nothing to change
        transition_many({"admit": [second]}, world.accounts["province"])
    db.session.rollback()
    assert count(ReviewRecord, ReviewRecord.application_id == second.id) == 0
    assert count(ReviewRecord, ReviewRecord.application_id == top.id, ReviewRecord.action == "admit") == 1


def body(html: str) -> str:
    """The applicant rows of the admission page."""
    return html.split("admission-rows", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_search_and_pages(world, client, auth):
    batch = residency_batch(world, capacities={("zz", "0100"): 10})
    people = [candidate(world, batch, "zz", ["0100"], 50 + n % 30, name=f"候选{n:02d}") for n in range(60)]
    auth.login("province", PASSWORD)
    first = client.get(f"{PAGE}?batch_id={batch.id}").get_data(as_text=True)
    second = client.get(f"{PAGE}?batch_id={batch.id}&page=2").get_data(as_text=True)
    assert body(first).count("<tr") == 50 and body(second).count("<tr") == 10
    assert "page=2" in first.split('class="pagination', 1)[1] and "上一页" in second
    found = client.get(f"{PAGE}?batch_id={batch.id}&q=候选07").get_data(as_text=True)
    assert body(found).count("<tr") == 1 and "候选07" in body(found)
    number = people[11].trainee.id_number
    found = client.get(f"{PAGE}?batch_id={batch.id}&q={number}").get_data(as_text=True)
    assert body(found).count("<tr") == 1 and mask_id_number(number) in body(found)  # shown masked
    outside = client.get(f"{PAGE}?batch_id={batch.id}&q=学员").get_data(as_text=True)  # world's GP trainees
    assert "admission-note" not in body(outside)
    assert client.get(f"{PAGE}?batch_id={batch.id}&page=999999999999999999999").status_code == 200


def test_page_queries_do_not_grow_with_rows(world, client, auth):
    batch = residency_batch(world, capacities={("zz", "0100"): 5, ("zz", "0900"): 5})
    for n in range(8):
        candidate(world, batch, "zz", ["0100", "0900"], 60 + n)
    auth.login("province", PASSWORD)
    url = f"{PAGE}?batch_id={batch.id}"
    client.get(url)
    few, html = statements_for(client, url)
    assert body(html).count("<tr") == 8
    for n in range(70):
        candidate(world, batch, "zz", ["0100", "0900"], 50 + n % 20)
    many, html = statements_for(client, url)
    assert body(html).count("<tr") == 50
    assert few == many


def test_export_lists_every_candidate(scene, client, auth):
    batch, people = scene
    auth.login("province", PASSWORD)
    response = client.get(f"{EXPORT}?batch_id={batch.id}")
    assert response.status_code == 200
    assert "UTF-8''" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 6
    assert {row[2] for row in rows[1:]} == {"甲一", "乙二", "丙三", "丁四", "戊五", "己六"}
    assert rows[1][2] == "甲一" and rows[1][0] == 1 and rows[-1][2] == "戊五"  # ranking order, unscored last
    quotas = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(quotas) == 1 + 3
