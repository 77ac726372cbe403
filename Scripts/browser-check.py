#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium driven by Selenium.

    python3 Scripts/browser-check.py URL OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR [STAFF_EMAIL STAFF_PASSWORD STAFF_TOTP_SECRET]

URL is a running `portico sandbox` (its loopback webhook rule lets the
receiver below take deliveries); the owner is the one its JSON line names.
Walks what a developer does on a first day — sign in with the keyboard, create
a key, call the API with it and find that request in the log, add a webhook
endpoint, send it a test event, watch the delivery fail, retry it, see it
succeed, sign out — then visits every other page. Every page is checked for
console errors (a CSP violation is one) and with axe-core (WCAG 2 A/AA:
labels, contrast, landmarks, names) and saved as NN-name.png under
SCREENSHOT_DIR. A second browser with JavaScript switched off signs in, makes
a key and opens every page. With the sandbox's staff account (its `staff`
object), the operator console is walked twice, with and without
JavaScript: password and TOTP code, the organization table, one
organization, suspend and reactivate it, the search box, platform health,
the staff audit page. Every page is also checked for sideways scrolling
(the document wider than the window) at 1280 px. Last, a phone pass at
390×844 opens every page the passes above reached again (signed out first
for the sign-in and reset pages, then signed in; the console with its own
sign-in) and checks the same things at that width, saving NN-pass-page-phone.png
beside the desktop screenshots. Exits 1 with a list of what failed; prints a
summary either way.

Needs Debian's chromium and chromium-driver, and selenium plus
selenium-axe-python (which carries axe-core) from PyPI.
"""

import base64
import hashlib
import hmac
import http.server
import json
import struct
import os
import re
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.wait import WebDriverWait
from selenium_axe_python import Axe

BASE, EMAIL, PASSWORD, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
STAFF = sys.argv[5:8] if len(sys.argv) >= 8 else None
# With the sandbox's platform key and the organization it acts for, the last pass resets the
# owner's password through the mail the sandbox catches (GET /v1/sandbox/emails).
MAILBOX = (os.environ.get("SANDBOX_PLATFORM_KEY"), os.environ.get("SANDBOX_ORGANIZATION"))
os.makedirs(SHOTS, exist_ok=True)
# Only an earlier run's own screenshots (NN-pass-page.png) are removed.
for old in os.listdir(SHOTS):
    if re.fullmatch(r"\d\d-(js|nojs|console|console-nojs|reset)-[a-z0-9-]+\.png", old):
        os.remove(os.path.join(SHOTS, old))

failures = []
screenshots = []
# (label, name, path) of every page the desktop passes checked, for the phone pass.
visited = []
# The owner's password now (the reset pass changes it).
owner_password = PASSWORD
# TOTP steps the console accepted: each step's code signs in once.
staff_steps = []
PHONE = (390, 844)


def fail(message):
    failures.append(message)
    print(f"FAIL {message}", flush=True)


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint that refuses the first delivery (503) and accepts the rest.

    The 503 asks for an hour (Retry-After), so only the page's "Retry now" makes the
    second attempt: the automatic retry 5 s later let a 200 replace the 503 on the
    deliveries page before a slow machine had loaded it."""

    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append((dict(self.headers), body))
        status = 503 if len(Receiver.received) == 1 else 200
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        if status == 503:
            self.send_header("Retry-After", "3600")
        self.end_headers()
        self.wfile.write(b"unavailable, try later" if status == 503 else b"ok")

    def log_message(self, *args):
        pass


def browser(javascript=True, size=(1280, 1400)):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={size[0]},{size[1]}", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    return driver


def is_detached_node_error(error):
    """Chrome (since 134) sometimes reports a node of a document that was just
    replaced as an unknown error, "Node with given id does not belong to the
    document", instead of a stale element (SeleniumHQ/selenium#15401,
    teamcapybara/capybara#2800): a race in the browser, not in the page."""
    text = str(error)
    return "does not belong to the document" in text or "No node with given id" in text


def replaced(element):
    """`staleness_of` that also takes Chrome's detached-node error as "the page was replaced"."""
    def predicate(_):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if is_detached_node_error(error):
                return True
            raise
    return predicate


def again_if_detached(step):
    """Runs a driver step; once more if Chrome reported its detached-node race."""
    try:
        return step()
    except WebDriverException as error:
        if not is_detached_node_error(error):
            raise
        time.sleep(0.3)
        return step()


class Session:
    """One browser; `check` runs after every page it reaches. A phone session's
    screenshots end in -phone and its pages are not recorded for the phone pass."""

    def __init__(self, driver, label, audit=True, phone=False):
        self.driver, self.label, self.audit, self.phone = driver, label, audit, phone
        self.axe = Axe(driver) if audit else None
        # The action of the form being posted: a page shown at that address is no GET to open again.
        self.posted = None

    def open(self, path, name):
        again_if_detached(lambda: self.driver.get(BASE + path))
        self.check(name)

    def check(self, name, again=True):
        """Console errors, accessibility, a heading, no sideways scrolling, a screenshot.
        `again`: the phone pass opens this address again (not for a link that works once)."""
        again_if_detached(lambda: self.check_once(name, again))

    def check_once(self, name, again=True):
        driver = self.driver
        path = driver.current_url.replace(BASE, "").split("#")[0]
        page = f"{self.label}:{name}{' on a phone' if self.phone else ''} ({path})"
        headings = driver.find_elements(By.TAG_NAME, "h1")
        if not headings:
            fail(f"{page}: no <h1>")
        if self.audit:
            self.axe.inject()
            result = self.axe.run(options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
            for violation in result["violations"]:
                targets = [", ".join(node["target"]) for node in violation["nodes"]][:3]
                fail(f"{page}: axe {violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
        for entry in driver.get_log("browser"):
            if entry["level"] in ("SEVERE", "ERROR"):
                fail(f"{page}: console {entry['level']}: {entry['message']}")
        # The page itself must never scroll sideways (wide tables scroll in their own box). Against
        # clientWidth, the window less its scroll bar: past that, the page scrolls.
        window, visible, document = driver.execute_script(
            "return [window.innerWidth, document.documentElement.clientWidth, document.documentElement.scrollWidth]")
        if document > visible + 1:
            fail(f"{page}: scrolls sideways at {window} px wide: scrollWidth {document} px > {visible} px visible")
        shot = os.path.join(SHOTS, f"{len(screenshots) + 1:02d}-{self.label}-{name}{'-phone' if self.phone else ''}.png")
        driver.save_screenshot(shot)
        screenshots.append(shot)
        if again and not self.phone and path.split("?")[0] != self.posted:
            visited.append((self.label, name, path))
        print(f"ok   {page}: {headings[0].text if headings else '?'}", flush=True)

    def submit(self, form_action, name, button_text=None):
        """Clicks the submit button of the form posting to `form_action`."""
        form = self.driver.find_element(By.CSS_SELECTOR, f"form[action='{form_action}']")
        buttons = form.find_elements(By.CSS_SELECTOR, "button[type=submit]")
        button = next((b for b in buttons if button_text is None or b.text == button_text), None)
        if button is None:
            raise AssertionError(f"no button {button_text!r} in the form posting to {form_action}")
        self.posted = form_action if (form.get_attribute("method") or "get").lower() == "post" else None
        try:
            self.follow(button, name)
        finally:
            self.posted = None

    def follow(self, element, name):
        """Clicks a link or button and waits for the next page before checking it."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 15).until(replaced(old))
        self.check(name)

    def follow_first(self, selector, name, missing):
        """Follows the first link matching `selector`; fails with `missing` when there is none."""
        links = self.driver.find_elements(By.CSS_SELECTOR, selector)
        if links:
            self.follow(links[0], name)
            return True
        fail(missing)
        return False

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text

    def wait_for(self, path, name, predicate, what, seconds=15):
        """Reloads `path` until `predicate(self)` holds (log batches and deliveries are asynchronous)."""
        deadline = time.time() + seconds
        while True:
            again_if_detached(lambda: self.driver.get(BASE + path))
            if predicate(self):
                self.check(name)
                return True
            if time.time() > deadline:
                self.check(name)
                fail(f"{self.label}:{name}: {what} did not appear within {seconds} s")
                return False
            time.sleep(0.3)


def sign_in_with_keyboard(session):
    """Tab from the top of the page to the fields and press Enter: no mouse."""
    driver = session.driver
    again_if_detached(lambda: driver.get(BASE + "/dashboard"))
    session.check("sign-in")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(10):
        if driver.switch_to.active_element.get_attribute("id") == "email":
            break
        driver.switch_to.active_element.send_keys(Keys.TAB)
    else:
        fail("sign-in: the email field is not reachable with Tab")
        return
    driver.switch_to.active_element.send_keys(EMAIL, Keys.TAB)
    if driver.switch_to.active_element.get_attribute("id") != "password":
        fail("sign-in: Tab from the email field does not reach the password field")
        return
    old = driver.find_element(By.TAG_NAME, "html")
    driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 15).until(replaced(old))
    session.check("overview")
    if "/dashboard/login" in driver.current_url:
        fail("sign-in: still on the sign-in page after submitting")


def skip_link_works(session):
    """The first Tab on a dashboard page lands on "Skip to content", which moves focus to <main>."""
    driver = session.driver
    again_if_detached(lambda: driver.get(BASE + "/dashboard/keys"))
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    first = driver.switch_to.active_element
    if first.text != "Skip to content":
        fail(f"keyboard: the first Tab stop is {first.text!r}, not the skip link")
        return
    if first.value_of_css_property("outline-style") == "none" and first.value_of_css_property("box-shadow") == "none":
        fail("keyboard: the focused skip link has no visible focus indicator")
    first.send_keys(Keys.ENTER)
    if not driver.current_url.endswith("#main"):
        fail("keyboard: the skip link does not lead to #main")


def full_flow():
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"

    driver = browser(javascript=True)
    session = Session(driver, "js")
    try:
        sign_in_with_keyboard(session)
        skip_link_works(session)

        # A key, shown once.
        session.open("/dashboard/keys", "keys")
        driver.find_element(By.ID, "label").send_keys("Browser check")
        session.submit("/dashboard/keys", "key-created")
        secret = driver.find_element(By.ID, "secret").get_attribute("value")
        if not secret.startswith("sk_test_"):
            fail(f"keys: the new key is not shown in full (got {secret[:12]!r}…)")
            return

        # A call with it, then that request in the log and its detail page.
        call = urllib.request.Request(BASE + "/v1/customers?limit=3", headers={"Authorization": f"Bearer {secret}"})
        with urllib.request.urlopen(call) as response:
            request_id = response.headers["Request-Id"]
        session.wait_for("/dashboard/logs", "logs",
                         lambda s: bool(s.driver.find_elements(By.CSS_SELECTOR, f"a[href='/dashboard/logs/{request_id}']")),
                         f"request {request_id}")
        if session.follow_first(f"a[href='/dashboard/logs/{request_id}']", "log-detail", f"logs: no link to {request_id}"):
            if request_id not in session.text():
                fail(f"log detail: request id {request_id} not on the page")

        # An endpoint, a test event, a failed delivery, a retry that succeeds.
        session.open("/dashboard/webhooks", "webhooks")
        driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/webhooks'] input[name='url']").send_keys(hook_url)
        session.submit("/dashboard/webhooks", "endpoint-created")
        endpoint_match = re.search(r"/dashboard/webhooks/(we_[A-Za-z0-9]+)", driver.current_url + driver.page_source)
        if not endpoint_match:
            fail("webhooks: no endpoint page after adding one")
            return
        endpoint = endpoint_match.group(1)
        session.open(f"/dashboard/webhooks/{endpoint}", "endpoint")
        session.submit(f"/dashboard/webhooks/{endpoint}/test", "test-sent")

        def failed_delivery(s):
            rows = s.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr a[href^='/dashboard/deliveries/']")
            return bool(rows) and "503" in s.text()

        if not session.wait_for(f"/dashboard/deliveries?endpoint={endpoint}", "deliveries", failed_delivery, "a failed delivery (503)"):
            return
        session.follow(driver.find_element(By.CSS_SELECTOR, "main table tbody tr a[href^='/dashboard/deliveries/']"), "delivery-failed")
        delivery_path = driver.current_url.replace(BASE, "").split("?")[0]
        session.submit(f"{delivery_path}/retry", "delivery-retried")
        if "Retry queued" not in session.text():
            fail("delivery: no confirmation after Retry now")
        session.wait_for(delivery_path, "delivery-succeeded",
                         lambda s: "Succeeded" in s.text() and "200" in s.text(), "a successful second attempt")
        if len(Receiver.received) < 2:
            fail(f"receiver: {len(Receiver.received)} request(s), expected the failed one and the retry")

        # Every other page, and the docs.
        for path, name in [("/dashboard", "overview-after"), ("/dashboard/events", "events"), ("/dashboard/usage", "usage"),
                           ("/dashboard/invoices", "invoices"), ("/dashboard/members", "members"), ("/dashboard/audit", "audit"),
                           ("/dashboard/settings", "settings"), ("/dashboard/account", "account"),
                           ("/dashboard/account/two-factor", "two-factor-setup"), ("/docs", "docs"), ("/docs/api", "docs-api"),
                           ("/docs/webhooks", "docs-webhooks"), ("/docs/changelog", "docs-changelog"),
                           ("/docs/testing", "docs-testing"), ("/docs/leaked-keys", "docs-leaked-keys"),
                           ("/docs/search?q=rate+limit", "docs-search"), ("/docs/api?version=2026-11-01", "docs-api-2026-11-01"),
                           # Last: the error index, whose first link is followed next.
                           ("/docs/errors", "docs-errors")]:
            session.open(path, name)
        session.follow_first("main a[href^='/docs/errors/']", "docs-error", "docs: the error index links to no error page")
        session.open("/dashboard/events", "events")
        session.follow_first("main a[href^='/dashboard/events/evt_']", "event", "events: the test event is not listed")

        # Sign out: the session is gone, the dashboard asks to sign in again.
        session.open("/dashboard", "before-sign-out")
        session.submit("/dashboard/logout", "signed-out")
        again_if_detached(lambda: driver.get(BASE + "/dashboard/keys"))
        if "/dashboard/login" not in driver.current_url:
            fail(f"sign-out: /dashboard/keys did not send to the sign-in page (at {driver.current_url})")
        session.check("after-sign-out")
    finally:
        driver.quit()
        receiver.shutdown()


def without_javascript():
    """Sign in, create a key and open every page with JavaScript switched off."""
    driver = browser(javascript=False)
    session = Session(driver, "nojs", audit=False)
    try:
        again_if_detached(lambda: driver.get(BASE + "/dashboard/login"))
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        session.submit("/dashboard/login", "overview")
        session.open("/dashboard/keys", "keys")
        driver.find_element(By.ID, "label").send_keys("Made without JavaScript")
        session.submit("/dashboard/keys", "key-created")
        if not driver.find_elements(By.ID, "secret"):
            fail("nojs: creating a key showed no secret")
        for path in ["/dashboard/logs", "/dashboard/events", "/dashboard/webhooks", "/dashboard/deliveries", "/dashboard/usage",
                     "/dashboard/invoices", "/dashboard/members", "/dashboard/audit", "/dashboard/settings", "/docs"]:
            session.open(path, path.strip("/").replace("/", "-"))
        session.open("/dashboard", "overview-again")
        session.submit("/dashboard/mode", "live-mode")
        if "Live mode" not in driver.page_source:
            fail("nojs: the mode toggle did not switch to live mode")
    finally:
        driver.quit()


def totp(secret_base32, step):
    """RFC 6238: six digits for one 30-second step, HMAC-SHA1 (what authenticator apps compute)."""
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[start:start + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def staff_code(secret_base32):
    """A code for a step later than every one used before: the console takes the step before,
    the current one and the next (clock skew), each once. Waits for the clock when those are used."""
    while int(time.time()) // 30 + 1 <= max(staff_steps, default=0):
        time.sleep(1)
    step = max(int(time.time()) // 30, max(staff_steps, default=0) + 1)
    staff_steps.append(step)
    return totp(secret_base32, step)


def console(javascript):
    """The operator console: sign in with password and code, then every page and one round of actions."""
    email, password, secret = STAFF
    label = "console" if javascript else "console-nojs"
    driver = browser(javascript=javascript)
    session = Session(driver, label, audit=javascript)
    try:
        again_if_detached(lambda: driver.get(BASE + "/admin/login"))
        session.check("sign-in")
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.ID, "password").send_keys(password)
        session.submit("/admin/login", "two-factor")
        # Each step's code is accepted once: a later pass uses a later step's (allowed by the skew window).
        driver.find_element(By.ID, "code").send_keys(staff_code(secret))
        session.submit("/admin/two-factor", "organizations")
        if "/admin/two-factor" in driver.current_url or "Organizations" not in driver.page_source:
            fail(f"{label}: the code did not open the console")
            return
        if not session.follow_first("main table a[href^='/admin/organizations/']", "organization", f"{label}: no organization link"):
            return
        organization = driver.current_url.split("/admin/organizations/")[1].split("?")[0]
        if javascript:
            session.submit(f"/admin/organizations/{organization}/suspend", "suspended")
            if "Reactivate" not in driver.page_source:
                fail(f"{label}: suspending did not offer to reactivate")
            session.submit(f"/admin/organizations/{organization}/reactivate", "reactivated")
        driver.find_element(By.ID, "find").send_keys(organization)
        session.submit("/admin/find", "found")
        if organization not in driver.current_url:
            fail(f"{label}: finding {organization} led to {driver.current_url}")
        session.open("/admin/health", "health")
        session.open("/admin/audit", "audit")
        if "staff.viewed" not in driver.page_source:
            fail(f"{label}: the staff audit page does not show the views")
        session.submit("/admin/logout", "signed-out")
    finally:
        driver.quit()


def password_reset():
    """"Forgot your password?" end to end: the link comes from the sandbox mailbox; the new password signs in."""
    global owner_password
    platform_key, organization = MAILBOX
    driver = browser(javascript=True)
    session = Session(driver, "reset")
    try:
        session.open("/dashboard/login", "sign-in")
        session.follow(driver.find_element(By.LINK_TEXT, "Forgot your password?"), "ask")
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        session.submit("/dashboard/password-reset", "asked")
        if "If an account exists for" not in driver.page_source:
            fail("reset: no notice after asking for a link")
        query = urllib.parse.urlencode({"to": EMAIL, "limit": 1})
        request = urllib.request.Request(f"{BASE}/v1/sandbox/emails?{query}",
                                         headers={"Authorization": f"Bearer {platform_key}", "Portico-Organization": organization})
        with urllib.request.urlopen(request) as response:
            mails = json.load(response)["data"]
        links = [link for mail in mails for link in mail["links"] if "/dashboard/password-reset/" in link]
        if not links:
            fail(f"reset: the sandbox mailbox has no reset link for {EMAIL}")
            return
        again_if_detached(lambda: driver.get(links[0]))
        session.check("choose", again=False)  # the link works once
        new_password = "a fresh passphrase from the browser check"
        driver.find_element(By.ID, "password").send_keys(new_password)
        session.submit(links[0].replace(BASE, ""), "reset-done")
        if "/dashboard/login" not in driver.current_url:
            fail(f"reset: setting the password led to {driver.current_url}, not the sign-in page")
        else:
            owner_password = new_password
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        driver.find_element(By.ID, "password").send_keys(new_password, Keys.ENTER)
        WebDriverWait(driver, 15).until(lambda d: "/dashboard/login" not in d.current_url)
        session.check("signed-in-again")
        again_if_detached(lambda: driver.get(links[0]))
        if "This link no longer works" not in driver.page_source:
            fail("reset: the link worked a second time")
    finally:
        driver.quit()


def phone_browser():
    """A browser with a phone's viewport. Chrome's window is 500 px wide at least, so the
    viewport is set through DevTools (it stays so for every page the tab opens)."""
    driver = browser(javascript=True, size=PHONE)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": False})
    width = driver.execute_script("return window.innerWidth")
    if width != PHONE[0]:
        driver.quit()
        raise AssertionError(f"the phone window is {width} px wide, not {PHONE[0]}")
    return driver


def revisit(session, pages, seen):
    """Opens each (path, (label, name)) not seen yet, checked under the name the desktop pass gave it."""
    for path, (label, name) in pages:
        if path in seen:
            continue
        seen.add(path)
        session.label = label
        session.open(path, name)


def phone_menu(session):
    """On a phone the menu is folded behind its summary; opened, its links lead on."""
    driver = session.driver
    summary = driver.find_element(By.CSS_SELECTOR, "nav details.menu > summary")
    links = driver.find_elements(By.CSS_SELECTOR, "nav a[href='/dashboard/keys']")
    if not summary.is_displayed() or any(link.is_displayed() for link in links):
        fail("phone: the menu is not folded behind a summary")
        return
    summary.click()
    link = next((link for link in links if link.is_displayed()), None)
    if link is None:
        fail("phone: the opened menu shows no link to API keys")
        return
    old = driver.find_element(By.TAG_NAME, "html")
    link.click()
    WebDriverWait(driver, 15).until(replaced(old))
    if not driver.current_url.endswith("/dashboard/keys"):
        fail(f"phone: the menu's API keys link led to {driver.current_url}")


def phone():
    """Every dashboard, docs and reset page the passes above reached, at 390×844: the sign-in and
    reset pages signed out, the rest signed in (with the password the reset pass set, if it ran)."""
    signed_out = ("/dashboard/login", "/dashboard/password-reset")
    pages = {}
    for label, name, path in visited:
        if not label.startswith("console"):
            pages.setdefault(path, (label, name))
    driver = phone_browser()
    session = Session(driver, "phone", phone=True)
    seen = set()
    try:
        revisit(session, [(path, page) for path, page in pages.items() if path.startswith(signed_out)], seen)
        again_if_detached(lambda: driver.get(BASE + "/dashboard/login"))
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        driver.find_element(By.ID, "password").send_keys(owner_password, Keys.ENTER)
        WebDriverWait(driver, 15).until(lambda d: "/dashboard/login" not in d.current_url)
        phone_menu(session)
        revisit(session, [(path, page) for path, page in pages.items() if not path.startswith(signed_out)], seen)
    finally:
        driver.quit()


def phone_console():
    """Every console page the passes above reached, at 390×844, after signing in there too."""
    email, password, secret = STAFF
    pages = {}
    for label, name, path in visited:
        if label.startswith("console"):
            pages.setdefault(path, (label, name))
    driver = phone_browser()
    session = Session(driver, "console", phone=True)
    try:
        session.open("/admin/login", "sign-in")
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.ID, "password").send_keys(password)
        session.submit("/admin/login", "two-factor")
        driver.find_element(By.ID, "code").send_keys(staff_code(secret))
        session.submit("/admin/two-factor", "organizations")
        if "/admin/two-factor" in driver.current_url:
            fail("console on a phone: the code did not open the console")
            return
        seen = {"/admin/login", "/admin/two-factor", driver.current_url.replace(BASE, "")}
        revisit(session, list(pages.items()), seen)
    finally:
        driver.quit()


runs = [full_flow, without_javascript] + ([lambda: console(True), lambda: console(False)] if STAFF else [])
# After the other passes: it changes the owner's password (the phone pass signs in with the new one).
runs += [password_reset] if all(MAILBOX) else []
# Last: every page again at a phone's width.
runs += [phone] + ([phone_console] if STAFF else [])
for run in runs:
    try:
        run()
    except Exception as error:  # a missing element or a driver error: report it with the rest
        steps = "".join(traceback.format_tb(error.__traceback__)[-3:])  # where in this script it happened
        fail(f"{run.__name__}: {type(error).__name__}: {error}\n{steps}")

print(f"{len(screenshots)} screenshots in {SHOTS}")
if failures:
    print(f"{len(failures)} failure(s):")
    for failure in failures:
        print(f"  - {failure}")
    sys.exit(1)
print("browser check passed")
