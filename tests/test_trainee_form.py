"""The back-office trainee form keeps "not stated" apart from "no" for the earlier residency
training's completion exam (a checkbox turned every edit's unknown into "did not pass")."""
import pytest

from app.extensions import db
from models import Trainee
from tests.factories import PASSWORD, TraineeFactory
from tests.test_validation import post, valid_id


@pytest.mark.parametrize("posted, stored", [(None, None), ("__None", None), ("yes", True), ("no", False)])
def test_prior_residency_passed_is_yes_no_or_not_stated(world, client, auth, posted, stored):
    trainee = TraineeFactory(name="往届学员", id_number=valid_id(), mobile="13600000100")
    db.session.commit()
    auth.login("support", PASSWORD)
    form = {"name": "往届学员", "gender": "male", "id_type": "resident", "id_number": trainee.id_number,
            "mobile": "13600000100"}
    if posted is not None:
        form["prior_residency_passed"] = posted
    assert post(client, f"/admin/trainee/edit/?id={trainee.id}", form).status_code == 302
    db.session.rollback()
    assert db.session.get(Trainee, trainee.id).prior_residency_passed is stored
    html = client.get(f"/admin/trainee/edit/?id={trainee.id}").get_data(as_text=True)
    selected = {None: '<option selected value="__None">', True: '<option selected value="yes">',
                False: '<option selected value="no">'}[stored]
    assert selected in html
