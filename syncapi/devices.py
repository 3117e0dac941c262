"""Human names of devices ("Chrome on Android") for the admin and the history of synced changes.

A device is named by what its user agent says, parsed with ua-parser's rules,
unless its client gave it a name of its own at login.
"""

import re
from functools import lru_cache

from ua_parser import parse

UNKNOWN_DEVICE = "Unknown device"

# What ua-parser calls a browser, as people call it.
_BROWSERS = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "HeadlessChrome": "Headless Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}
_SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# On these systems the device says more than the system ("Safari on iPhone", not "on iOS").
_NAMED_BY_DEVICE = {"iOS", "iPadOS"}
# A user agent begins with a product token and its version ("Mozilla/5.0", "curl/8.5.0");
# a name a person gave ("Sam's Android phone") does not.
_USER_AGENT_SHAPE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+/\S")


@lru_cache(maxsize=1024)
def device_label(user_agent: str) -> str:
    """A short human name of the device sending `user_agent`: "Firefox on Windows", "Unknown device".

    Cached: parsing runs a few hundred regular expressions, and an admin page
    names the same few devices many times.
    """
    if not user_agent or not user_agent.strip():
        return UNKNOWN_DEVICE
    parsed = parse(user_agent.strip())
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    if system in _NAMED_BY_DEVICE and parsed.device and parsed.device.family in {"iPhone", "iPad", "iPod"}:
        system = parsed.device.family
    browser, system = _BROWSERS.get(browser, browser), _SYSTEMS.get(system, system)
    if browser and system:
        return f"{browser} on {system}"
    if system:
        return f"{system} device"
    return browser or UNKNOWN_DEVICE


def looks_like_user_agent(text: str) -> bool:
    """Whether `text` is a user agent string rather than a name a person gave."""
    return bool(_USER_AGENT_SHAPE.match(text.strip()))


def device_display_name(*, device_name: str, user_agent: str) -> str:
    """The name a client gave its device at login, else what its user agent says.

    Clients that send their user agent as the device's name (the app does)
    get the parsed name too.
    """
    if device_name.strip() and not looks_like_user_agent(device_name):
        return device_name.strip()
    return device_label(user_agent or device_name)
