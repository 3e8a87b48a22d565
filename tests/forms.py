"""Back-office forms as a user fills and reads them: a post with the form's CSRF token, the form
group of a field (its label, input and errors), the value an input keeps, the banners of a refused
form, and a valid trainee form."""
from __future__ import annotations

import re
from datetime import date
from html import unescape

from stdnum.cn import ric

from tests.conftest import csrf_token

# the banner of a refused create or edit form
NOT_CREATED = "未创建：请按红色提示修改后重新提交。"
NOT_SAVED = "未保存：请按红色提示修改后重新提交。"

_serial = iter(range(100, 1000))


def valid_id(region_code: str = "410102", birth: date = date(1986, 6, 6)) -> str:
    """A valid, unique 居民身份证 number (GB 11643 check digit)."""
    body = f"{region_code}{birth:%Y%m%d}{next(_serial):03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants the number with a check digit slot


def field_group(html: str, field_id: str) -> str:
    """The text of the form group (label, input, error list) of ``id=field_id``, inside the form."""
    at = html.index(f'id="{field_id}"')
    assert html.rfind("<form", 0, at) > html.rfind("</form>", 0, at), f"{field_id} is not inside a form"
    start = html.rfind('class="form-group', 0, at)
    end = html.find('class="form-group', at)
    return unescape(html[start:end if end != -1 else html.index("</form>", at)])


def input_value(html: str, field_id: str) -> str | None:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def post(client, url: str, data: dict, **kwargs):
    """Post ``data`` to the form on ``url`` with its CSRF token."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)}, **kwargs)


def trainee_form(**changes) -> dict:
    """A valid back-office trainee form (a new ID number each time)."""
    form = {"name": "张三丰", "gender": "male", "id_type": "resident", "id_number": valid_id(),
            "mobile": "13912345678"}
    form.update(changes)
    return form
