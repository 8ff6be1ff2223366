"""URL normalization: one spelling per page, so one page gets one article id."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that say how a reader arrived, not which page they read.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "ga_", "hsa_", "itm_", "oly_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "twclid", "ttclid", "li_fat_id", "srsltid", "mkt_tok", "_hsenc", "_hsmi", "_ga", "_gl",
        "ref_src", "cmpid", "ocid", "ncid", "sr_share", "wt.mc_id", "wt_mc_id", "s_kwcid",
        "vero_id", "rb_clickid",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Lower-case scheme and host (IDNA-encoded), drop the default port, credentials,
    fragment, tracking parameters and a trailing slash on the path; keep the remaining query
    in its original order, since some sites route on it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = _normal_netloc(scheme, parts.netloc)
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(key)
        ]
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def host_key(url: str) -> str:
    """`host[:port]` of a URL, the unit politeness and robots.txt are kept per."""
    parts = urlsplit(url.strip())
    return _normal_netloc(parts.scheme.lower(), parts.netloc)


def is_http_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered.startswith(_TRACKING_PREFIXES) or lowered in _TRACKING_NAMES


def _normal_netloc(scheme: str, netloc: str) -> str:
    # Credentials never belong in an id, and a port that is not a number is left as written
    # rather than failing: the fetcher rejects such a URL with a clear reason later.
    hostport = netloc.rsplit("@", 1)[-1]
    parts = urlsplit(f"//{hostport}")
    host = _idna_host((parts.hostname or "").rstrip("."))
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return hostport.lower()
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


def _idna_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()
