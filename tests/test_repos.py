"""Every generated repository method against a real PostgreSQL, sync and async.

Each test body is written once and runs twice (``api`` is parametrized over the sync and the
async repositories; see tests/helpers/repos.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers.repos import Api

NOW = dt.datetime.now(dt.UTC)
HOUR = dt.timedelta(hours=1)


async def _user(api: Api, user_id: str = "u1", email: str | None = None) -> Any:
    return await api.users.upsert_login(user_id=user_id, email=email or f"{user_id}@example.org",
                                        name=None, provider="google")


# -- scripts ------------------------------------------------------------------------------

async def test_scripts_upsert_get_and_replace_resets_init(api: Api) -> None:
    created = await api.scripts.upsert(uri="/index.js", code="v1")
    assert (created.uri, created.code, created.initialized) == ("/index.js", "v1", False)
    assert created.created_at.tzinfo is not None
    await api.scripts.mark_init_result(uri="/index.js", initialized=True, init_error=None)
    replaced = await api.scripts.upsert(uri="/index.js", code="v2")
    assert (replaced.id, replaced.code, replaced.initialized) == (created.id, "v2", False)
    assert await api.scripts.get_by_uri(uri="/index.js") == replaced
    assert await api.scripts.get_by_uri(uri="/missing.js") is None


async def test_scripts_lists_count_and_delete(api: Api) -> None:
    for uri in ("/b.js", "/a.js", "/c.js"):
        await api.scripts.upsert(uri=uri, code="x")
    await api.scripts.mark_init_result(uri="/b.js", initialized=True, init_error=None)
    listed = await api.scripts.list_all()
    assert [s.uri for s in listed] == ["/a.js", "/b.js", "/c.js"]
    assert not hasattr(listed[0], "code")
    assert [s.uri for s in await api.scripts.list_uninitialized()] == ["/a.js", "/c.js"]
    assert await api.scripts.count() == 3
    assert await api.scripts.delete_by_uri(uri="/a.js") == 1
    assert await api.scripts.delete_by_uri(uri="/a.js") == 0
    assert await api.scripts.count() == 2


async def test_scripts_mark_init_result(api: Api) -> None:
    await api.scripts.upsert(uri="/s.js", code="x")
    failed = await api.scripts.mark_init_result(uri="/s.js", initialized=False,
                                                init_error="boom")
    assert (failed.initialized, failed.init_error) == (False, "boom")
    assert failed.last_init_time is not None
    ok = await api.scripts.mark_init_result(uri="/s.js", initialized=True, init_error=None)
    assert (ok.initialized, ok.init_error) == (True, None)
    assert await api.scripts.mark_init_result(uri="/nope.js", initialized=True,
                                              init_error=None) is None


# -- assets -------------------------------------------------------------------------------

async def test_assets_bytea_round_trip_and_meta(api: Api) -> None:
    assert await api.assets.total_bytes() == 0
    content = bytes(range(256)) * 40  # every byte value, NUL included
    asset = await api.assets.upsert(public_path="/logo.png", mimetype="image/png",
                                    content=content)
    assert asset.content == content
    assert (await api.assets.get_by_path(public_path="/logo.png")).content == content
    again = await api.assets.upsert(public_path="/logo.png", mimetype="image/webp",
                                    content=b"\x00")
    assert (again.id, again.mimetype, again.content) == (asset.id, "image/webp", b"\x00")
    await api.assets.upsert(public_path="/a.css", mimetype="text/css", content=b"body{}")
    meta = await api.assets.list_meta()
    assert [(m.public_path, m.size) for m in meta] == [("/a.css", 6), ("/logo.png", 1)]
    assert await api.assets.total_bytes() == 7
    assert await api.assets.delete_by_path(public_path="/a.css") == 1
    assert await api.assets.get_by_path(public_path="/a.css") is None


# -- logs ---------------------------------------------------------------------------------

async def test_logs_append_list_count_and_retention(api: Api) -> None:
    for i in range(5):
        await api.logs.append(script_uri="/a.js", message=f"a{i}")
    line = await api.logs.append(script_uri="/b.js", message="b0")
    assert (line.script_uri, line.message) == ("/b.js", "b0")
    newest = await api.logs.list_for_script(script_uri="/a.js", limit=3)
    assert [x.message for x in newest] == ["a4", "a3", "a2"]
    counts = await api.logs.count_by_script()
    assert [(c.script_uri, c.count) for c in counts] == [("/a.js", 5), ("/b.js", 1)]
    assert await api.logs.keep_latest_per_script(keep=2) == 3
    assert [x.message for x in await api.logs.list_for_script(script_uri="/a.js", limit=10)] == [
        "a4", "a3"]
    assert await api.logs.prune_before(before=dt.datetime.now(dt.UTC) + HOUR) == 3
    assert await api.logs.count_by_script() == []


async def test_logs_append_many_100k(api: Api) -> None:
    rows = (("/bulk.js", f"line {i}") for i in range(100_000))
    assert await api.logs.append_many(rows) == 100_000
    first = await api.logs.append(script_uri="/obj.js", message="from an object")
    assert await api.logs.append_many([first, ("/obj.js", "tuple")]) == 2
    counts = {c.script_uri: c.count for c in await api.logs.count_by_script()}
    assert counts == {"/bulk.js": 100_000, "/obj.js": 3}


# -- users --------------------------------------------------------------------------------

async def test_users_login_lookup_roles_delete(api: Api) -> None:
    user = await api.users.upsert_login(user_id="g-1", email="a@x.org", name="Ada",
                                        provider="google")
    assert (user.name, user.is_admin, user.is_editor) == ("Ada", False, False)
    again = await api.users.upsert_login(user_id="g-1", email="b@x.org", name=None,
                                         provider="google")
    assert (again.id, again.email, again.name) == (user.id, "b@x.org", None)
    assert again.last_login_at >= user.last_login_at
    assert (await api.users.get_by_email(email="b@x.org")).user_id == "g-1"
    assert await api.users.get_by_email(email="a@x.org") is None
    assert (await api.users.get_by_user_id(user_id="g-1")).email == "b@x.org"
    admin = await api.users.set_roles(user_id="g-1", is_admin=True, is_editor=True)
    assert (admin.is_admin, admin.is_editor) == (True, True)
    assert await api.users.set_roles(user_id="nobody", is_admin=True, is_editor=False) is None
    await _user(api, "g-2")
    assert [u.user_id for u in await api.users.list_admins()] == ["g-1"]
    await api.sessions.create(session_id="s", user_id="g-1", data={}, expires_at=NOW + HOUR)
    assert await api.users.delete(user_id="g-1") == 1
    assert await api.sessions.list_for_user(user_id="g-1") == []  # ON DELETE CASCADE


# -- sessions -----------------------------------------------------------------------------

async def test_sessions_jsonb_round_trip(api: Api) -> None:
    await _user(api)
    data = {"cart": [1, 2.5, "três", None, True], "nested": {"k": {"deep": []}}, "n": -7}
    created = await api.sessions.create(session_id="s1", user_id="u1", data=data,
                                        expires_at=NOW + HOUR)
    assert created.data == data
    assert (await api.sessions.get_valid(session_id="s1")).data == data
    for value in ([1, "two"], "just a string", 42, None):
        updated = await api.sessions.update_data(session_id="s1", data=value)
        assert updated.data == value
    assert await api.sessions.update_data(session_id="nope", data={}) is None


async def test_sessions_get_valid_excludes_expired(api: Api) -> None:
    await _user(api)
    await api.sessions.create(session_id="live", user_id="u1", data={}, expires_at=NOW + HOUR)
    await api.sessions.create(session_id="dead", user_id="u1", data={}, expires_at=NOW - HOUR)
    assert (await api.sessions.get_valid(session_id="live")).session_id == "live"
    assert await api.sessions.get_valid(session_id="dead") is None
    assert await api.sessions.get_valid_with_user(session_id="dead") is None
    joined = await api.sessions.get_valid_with_user(session_id="live")
    assert (joined.session_id, joined.user_id, joined.email) == ("live", "u1", "u1@example.org")
    assert await api.sessions.touch(session_id="dead", expires_at=NOW + 2 * HOUR) is None
    touched = await api.sessions.touch(session_id="live", expires_at=NOW + 2 * HOUR)
    assert touched.expires_at == NOW + 2 * HOUR
    assert await api.sessions.delete_expired() == 1
    assert await api.sessions.delete(session_id="live") == 1
    assert await api.sessions.delete(session_id="live") == 0


async def test_sessions_list_and_delete_for_user(api: Api) -> None:
    await _user(api, "u1")
    await _user(api, "u2")
    for i in range(3):
        await api.sessions.create(session_id=f"s{i}", user_id="u1", data={"i": i},
                                  expires_at=NOW + HOUR)
    await api.sessions.create(session_id="other", user_id="u2", data={}, expires_at=NOW + HOUR)
    listed = await api.sessions.list_for_user(user_id="u1")
    assert [s.session_id for s in listed] == ["s2", "s1", "s0"]
    assert await api.sessions.delete_for_user(user_id="u1") == 3
    assert [s.session_id for s in await api.sessions.list_for_user(user_id="u2")] == ["other"]
