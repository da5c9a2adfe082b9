"""Connection strings read by libpq's own parser, for display without their secrets.

Why a parser and not a pattern: libpq accepts ``postgresql://app:S3CR3T?x@host/db`` (the
password is ``S3CR3T?x``), ``#`` and other characters a URL library or a regular expression
reads differently, and the ``key=value`` form has ``password`` and ``sslpassword`` with quoting
rules of their own. Only what libpq parsed is trusted to say which part is a secret.

* `safe_url`: the display form of a connection string, secrets replaced by ``***``; a string
  libpq cannot parse is described, never echoed.
* `remember` + `scrub`: every secret of every connection string seen is remembered (in this
  process), and `scrub` replaces them in any text, e.g. a server or driver message, before it
  is printed. The CLI scrubs every line it prints.
* `with_params`: the same connection with some parameters replaced (the temporary database
  of ``prepare``), built from the parsed parameters so the password cannot change meaning.

psycopg is imported inside the functions that parse: offline commands (verify, generate,
explain) never load the driver, and `scrub` never needs it.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

from .errors import ConfigError

# Connection parameters whose values are secrets (libpq's "debug display" marks them "*").
SECRET_KEYS = frozenset({"password", "sslpassword"})
MASK = "***"
# Shorter secrets are not scrubbed from free text: replacing every "ab" would garble
# messages while hiding nothing a reader could not guess.
_MIN_SCRUB = 3
_URL_KEYS = ("user", "password", "host", "port", "dbname")

_known: set[str] = set()
_lock = threading.Lock()


def parse(url: str, *, source: str | None = None) -> dict[str, str]:
    """The parameters libpq reads from ``url`` (URL or ``key=value`` form).

    Args:
        source: where the URL came from (``--database-url``, ``DATABASE_URL``...), for the
            error message.

    Raises:
        ConfigError: libpq cannot parse it; the message gives libpq's reason without the
            parts of the string it quoted (they may be the password).
    """
    import psycopg

    try:
        params = {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(url).items()}
    except psycopg.ProgrammingError as exc:
        raise unparsable(exc, source) from None
    if not all(p.strip().isdigit() for p in params.get("port", "0").split(",") if p):
        # libpq reads "postgresql://app:pa/ss@h/db" as host "app", port "pa": the password
        # would be shown as a port. libpq refuses such a port when connecting; so do we, early.
        raise unparsable("the port is not a number (a '/' in the password must be written "
                         "%2F)", source)
    return params


def unparsable(exc: BaseException | str, source: str | None = None) -> ConfigError:
    """The error for a string libpq cannot parse: its reason, never the string."""
    where = f" (from {source})" if source else ""
    return ConfigError(
        f"invalid database URL{where}: libpq cannot parse it ({unquoted_reason(exc)}); the URL is "
        "not shown because it may hold a password",
        hint="check the URL's host, port and database name, and percent-encode special "
        "characters in the user name and password (space %20, % %25, @ %40, / %2F, ? %3F, "
        "# %23), or use the key=value form with password='...'")


def parse_or_none(text: str) -> dict[str, str] | None:
    """`parse`, or None when ``text`` is not a connection string libpq can read."""
    if not text.strip():
        return None
    try:
        return parse(text)
    except ConfigError:
        return None


def unquoted_reason(exc: BaseException | str) -> str:
    """libpq's parse error without the input it quotes (from the first to the last quote)."""
    text = " ".join(str(exc).split())
    first, last = text.find('"'), text.rfind('"')
    if first != -1:
        text = f"{text[:first]}...{text[last + 1:]}" if last > first else text[:first] + "..."
    return text


def remember(url: str) -> dict[str, str] | None:
    """Learn the secrets of ``url`` for `scrub`; return its parameters (None: unparsable)."""
    params = parse_or_none(url)
    if params is None:
        _remember_raw(url)
        return None
    for key in SECRET_KEYS & params.keys():
        value = params[key]
        # The forms the value can take in text we did not write: decoded, percent-encoded.
        _add(value, quote(value, safe=""), quote(value))
    return params


def _remember_raw(url: str) -> None:
    # Unparsable: nobody knows which part is the password, so the whole string is secret.
    _add(url, url.strip())


def _add(*values: str) -> None:
    with _lock:
        _known.update(v for v in values if len(v) >= _MIN_SCRUB)


def forget() -> None:
    """Forget every remembered secret (tests use it so that one test cannot hide another's)."""
    with _lock:
        _known.clear()


def scrub(text: str) -> str:
    """``text`` with every remembered secret replaced by ``***`` (longest first)."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def safe_url(url: str, *, source: str | None = None) -> str:
    """The display form of ``url``: libpq's parameters, secrets as ``***``.

    A URL stays a URL (``postgresql://app:***@db:5432/app?sslmode=require``) and a
    ``key=value`` string stays one (``host=db password=***``). A string libpq cannot parse is
    described by ``source`` (where it came from), never shown.

    >>> safe_url("postgresql://app:S3CR3T?x@127.0.0.1:1/app")
    'postgresql://app:***@127.0.0.1:1/app'
    >>> safe_url("host=h port=1 sslpassword=S3CR3T")
    'host=h port=1 sslpassword=***'
    >>> safe_url("host=h password='S3 CR3T' user=app")
    'user=app password=*** host=h'
    >>> safe_url("postgresql://app:S3CR3T%zz@h/app", source="DATABASE_URL")
    '(the database URL from DATABASE_URL, which libpq cannot parse)'
    """
    params = remember(url)
    if params is None:
        where = f" from {source}" if source else ""
        return f"(the database URL{where}, which libpq cannot parse)"
    masked = {k: MASK if k in SECRET_KEYS else v for k, v in params.items()}
    return _render(masked, as_url=_is_url(url), masked=True)


def with_params(url: str, **params: str) -> str:
    """``url`` with ``params`` replaced, in the same form (a URL stays one where it can).

    >>> with_params("postgresql://u:p?w@h:5/app?sslmode=disable", dbname="other")
    'postgresql://u:p%3Fw@h:5/other?sslmode=disable'
    >>> with_params("host=h dbname=app", dbname="my db")
    "host=h dbname='my db'"
    """
    merged = {**parse(url), **params}
    return _render(merged, as_url=_is_url(url), masked=False)


def _is_url(url: str) -> bool:
    return url.lstrip().lower().startswith(("postgresql://", "postgres://"))


def _render(params: dict[str, str], *, as_url: bool, masked: bool) -> str:
    # A stable order (libpq's dict order is its internal option table's): who, where, what.
    params = {**{k: params[k] for k in _URL_KEYS if k in params}, **params}
    host = params.get("host", "")
    if not as_url or "," in host or host.startswith("/"):
        return " ".join(f"{k}={_kv_value(v, masked and k in SECRET_KEYS)}"
                        for k, v in params.items())
    rest = {k: v for k, v in params.items() if k not in _URL_KEYS}
    auth = quote(params["user"], safe="") if "user" in params else ""
    if "password" in params:
        auth += ":" + _url_value(params["password"], masked)
    netloc = (f"{auth}@" if auth else "") + (f"[{host}]" if ":" in host else quote(host, safe=""))
    if params.get("port"):
        netloc += f":{quote(params['port'], safe='')}"
    path = "/" + quote(params["dbname"], safe="") if "dbname" in params else ""
    query = "&".join(f"{quote(k, safe='')}={_url_value(v, masked and k in SECRET_KEYS)}"
                     for k, v in rest.items())
    return f"postgresql://{netloc}{path}" + (f"?{query}" if query else "")


def _url_value(value: str, masked: bool) -> str:
    return MASK if masked and value == MASK else quote(value, safe="")


def _kv_value(value: str, masked: bool) -> str:
    if masked and value == MASK:
        return MASK
    if value and not any(c.isspace() or c in "'\\" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
