"""Gets a client-credentials token from the simulator with Microsoft's MSAL.

Usage: msal_token.py AUTHORITY_BASE TENANT CLIENT_ID CLIENT_SECRET CA_PEM SCOPE

Prints one JSON object: MSAL's result (the access token's claims are checked
by the Rust test). Exit code 3 when msal cannot be imported.
"""
import json
import sys

try:
    import msal
except ImportError as e:  # reported by the Rust test as a skip or a failure
    print(json.dumps({"import_error": str(e)}))
    sys.exit(3)

base, tenant, client_id, secret, ca_pem, scope = sys.argv[1:7]
app = msal.ConfidentialClientApplication(
    client_id,
    client_credential=secret,
    authority=base.rstrip("/") + "/" + tenant,
    validate_authority=False,
    instance_discovery=False,
    verify=ca_pem,
)
result = app.acquire_token_for_client(scopes=[scope])
# A second call must be served from MSAL's cache, not the network.
again = app.acquire_token_for_client(scopes=[scope])
result["cached_on_second_call"] = again.get("token_source") == "cache"
result["msal_version"] = msal.__version__
print(json.dumps(result))
