"""Generates a Python client from a running Portico's /v1/openapi.json with
openapi-python-client (pinned in Tests/requirements.txt) and drives the
customers API with it: create (with an Idempotency-Key, replayed), list with
limit=1 following starting_after, retrieve, update, delete, and a 404 problem,
reading the response headers the document declares.

usage: python3 Scripts/openapi-client-check.py BASE_URL TEST_SECRET_KEY [VERSION]
With VERSION (YYYY-MM-DD) the client is generated from that dated version's
document (/v1/openapi.json?version=VERSION) and must get that version's shapes.
Prints one line per check and "all ok" at the end; exits 1 when any failed.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import uuid

base_url, key = sys.argv[1], sys.argv[2]
version = sys.argv[3] if len(sys.argv) > 3 else None
work = tempfile.mkdtemp(prefix="portico-client-")
document_path = os.path.join(work, "openapi.json")
with urllib.request.urlopen(base_url + "/v1/openapi.json" + (f"?version={version}" if version else "")) as response:
    document = json.load(response)
with open(document_path, "w") as f:
    json.dump(document, f)
generated = subprocess.run(
    [sys.executable, "-m", "openapi_python_client", "generate", "--path", document_path, "--meta", "none"],
    cwd=work, capture_output=True, text=True,
)
if generated.returncode != 0:
    sys.exit(f"openapi-python-client failed:\n{generated.stdout}\n{generated.stderr}")
warnings = [line for line in (generated.stdout + generated.stderr).splitlines() if "warning" in line.lower()]
sys.path.insert(0, work)
from portico_api_client import AuthenticatedClient  # noqa: E402
from portico_api_client.api.customers import (  # noqa: E402
    create_customer, delete_customer, get_customer, list_customers, update_customer,
)
from portico_api_client.models import (  # noqa: E402
    CreateCustomerBody, Customer, Deleted, ListCustomersResponse200, Problem, UpdateCustomerBody,
)
from portico_api_client.models.update_customer_body_metadata_type_0 import UpdateCustomerBodyMetadataType0  # noqa: E402
from portico_api_client.models.create_customer_body_metadata_type_0 import CreateCustomerBodyMetadataType0  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def expect(resp, cls, what):
    """A *_detailed Response whose .parsed must be a `cls`; a Problem is printed."""
    p = resp.parsed
    if isinstance(p, Problem):
        check(False, f"{what}: {resp.status_code.value} problem code={p.code} detail={p.detail}")
        return None
    check(isinstance(p, cls), f"{what}: {resp.status_code.value} {type(p).__name__}")
    return p if isinstance(p, cls) else None


client = AuthenticatedClient(base_url=base_url, token=key, raise_on_unexpected_status=True)
run = uuid.uuid4().hex[:8]
with client:
    # create (two, so that pagination has something to page over), with an Idempotency-Key
    meta = CreateCustomerBodyMetadataType0()
    meta["run"] = run
    idem = f"drive-{run}"
    r = create_customer.sync_detailed(client=client, idempotency_key=idem,
                                      body=CreateCustomerBody(name="Ada", email=f"ada+{run}@example.com", metadata=meta))
    c1 = expect(r, Customer, "create customer 1")
    print("     Request-Id:", r.headers.get("Request-Id"), "| Portico-Version:", r.headers.get("Portico-Version"),
          "| RateLimit:", r.headers.get("RateLimit"))
    check(str(r.headers.get("Request-Id", "")).startswith("req_"), "Request-Id header readable from Response.headers")
    replay = create_customer.sync_detailed(client=client, idempotency_key=idem,
                                           body=CreateCustomerBody(name="Ada", email=f"ada+{run}@example.com", metadata=meta))
    check(replay.headers.get("Idempotent-Replayed") == "true" and c1 is not None
          and getattr(replay.parsed, "id", None) == c1.id,
          f"same Idempotency-Key replays (Idempotent-Replayed: {replay.headers.get('Idempotent-Replayed')})")
    c2 = expect(create_customer.sync_detailed(client=client, body=CreateCustomerBody(name="Grace")), Customer,
                "create customer 2")

    # list with limit=1, following starting_after
    seen, after, pages = [], None, 0
    while pages < 500:
        kwargs = {"limit": 1} if after is None else {"limit": 1, "starting_after": after}
        page = expect(list_customers.sync_detailed(client=client, **kwargs), ListCustomersResponse200,
                      f"list page {pages + 1}") if pages < 2 else list_customers.sync(client=client, **kwargs)
        if not isinstance(page, ListCustomersResponse200):
            check(False, f"list page {pages + 1}: {page}")
            break
        pages += 1
        if not check(len(page.data) <= 1, f"page {pages} has {len(page.data)} item(s)") or not page.data:
            break
        seen.append(page.data[0].id)
        if not page.has_more:
            break
        after = page.data[-1].id
    check(c1 and c2 and {c1.id, c2.id} <= set(seen) and len(seen) == len(set(seen)),
          f"paged through {pages} page(s), {len(seen)} customers, both new ones seen once")

    if c1 is None or c2 is None:
        sys.exit("cannot go on without the two customers")
    # retrieve
    got = expect(get_customer.sync_detailed(c1.id, client=client), Customer, "retrieve customer 1")
    check(got is not None and got.email == f"ada+{run}@example.com" and got.metadata["run"] == run,
          "retrieved fields match")

    # update (PATCH): set a name, clear the email with an explicit null, add a metadata key
    upd_meta = UpdateCustomerBodyMetadataType0()
    upd_meta["tier"] = "gold"
    up = expect(update_customer.sync_detailed(c1.id, client=client,
                                              body=UpdateCustomerBody(name="Ada Lovelace", email=None, metadata=upd_meta)),
                Customer, "update customer 1")
    check(up is not None and up.name == "Ada Lovelace" and up.email is None
          and up.metadata.additional_properties == {"run": run, "tier": "gold"},
          "PATCH: name set, email cleared by null, metadata merged")

    # delete
    for c in (c1, c2):
        d = expect(delete_customer.sync_detailed(c.id, client=client), Deleted, f"delete {c.id}")
        check(d is not None and d.deleted is True and d.id == c.id, "deleted: true")

    # The dated version's shapes: KeyVerification names the organization as that version does.
    from portico_api_client.api.keys import verify_key  # noqa: E402
    from portico_api_client.models import KeyVerification, VerifyKeyBody  # noqa: E402
    verified = verify_key.sync_detailed(client=client, body=VerifyKeyBody(key=key))
    kv = verified.parsed
    check(isinstance(kv, KeyVerification) and kv.valid, f"verify key: {verified.status_code.value} {type(kv).__name__}")
    # 2026-11-22 renamed key_verification.organization to organization_id; older documents keep the old name.
    field = "organization" if version and version < "2026-11-22" else "organization_id"
    check(field in KeyVerification.__annotations__, f"the generated KeyVerification has {field}: {sorted(KeyVerification.__annotations__)}")
    check(isinstance(kv, KeyVerification) and str(getattr(kv, field, "")).startswith("org_"), f"verification carries {field}")
    check(verified.headers.get("Portico-Version") == document["info"]["version"],
          f"the server answered as {verified.headers.get('Portico-Version')} (document: {document['info']['version']})")
    if version:
        check(document["info"]["version"] == version, f"the document is version {version}")

    # error case: retrieve the deleted customer -> 404 problem
    r = get_customer.sync_detailed(c1.id, client=client)
    p = r.parsed
    check(r.status_code.value == 404 and isinstance(p, Problem), f"retrieve deleted: {r.status_code.value} {type(p).__name__}")
    if isinstance(p, Problem):
        print(f"     code={p.code!r} ({type(p.code).__name__}) request_id={p.request_id} "
              f"Request-Id header={r.headers.get('Request-Id')}")
        check(p.code == "resource_not_found", "problem code is resource_not_found")
        check(p.request_id == r.headers.get("Request-Id"), "problem request_id equals the Request-Id header")


# The document's shapes, as the generated package shows them.
models = os.path.join(work, "portico_api_client", "models")
check(not warnings, f"generated without warnings {warnings}")
duplicates = [os.path.basename(p) for p in glob.glob(os.path.join(models, "*_type_[123]*.py")) if "metadata" not in p]
check(not duplicates, f"no duplicate types for nullable enums {duplicates}")
check(Problem.__annotations__.get("code") in (str, "str"), f"Problem.code is an open string ({Problem.__annotations__.get('code')})")
import inspect  # noqa: E402
default = inspect.signature(get_customer.sync_detailed).parameters["portico_version"].default
check(default == document["info"]["version"], f"requests send the document's version by default ({default})")

print(f"{len(failures)} failed" if failures else "all ok")
sys.exit(1 if failures else 0)
