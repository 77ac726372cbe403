#!/usr/bin/env python3
"""A real SMTP server for the mail tests (aiosmtpd), on 127.0.0.1.

    python3 Scripts/smtp-sink.py [--starttls | --tls] [--auth USER:PASSWORD] [--fail-first N] [--reject]

Prints one JSON line when it listens: {"port": N, "ca": "PEM file"} (the
self-signed certificate it made for 127.0.0.1/localhost, for the client to
trust), then one JSON line per mail it accepted: {"mail_from", "rcpt_tos",
"data"} (data as received, dot-stuffing undone, CRLF kept). --fail-first N
answers 451 to the first N DATA commands; --reject answers 550 to every
RCPT. With --auth, AUTH PLAIN and LOGIN are offered (only once TLS is up)
and required. Ends when stdin closes.
"""
import argparse, asyncio, datetime, ipaddress, json, os, ssl, sys, tempfile, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

parser = argparse.ArgumentParser()
parser.add_argument("--starttls", action="store_true")
parser.add_argument("--tls", action="store_true")
parser.add_argument("--auth")
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--reject", action="store_true")
args = parser.parse_args()

directory = tempfile.mkdtemp(prefix="smtp-sink-")
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
now = datetime.datetime.now(datetime.timezone.utc)
certificate = (
    x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
    .not_valid_after(now + datetime.timedelta(days=1))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(key, hashes.SHA256())
)
cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
with open(cert_path, "wb") as f:
    f.write(certificate.public_bytes(serialization.Encoding.PEM))
with open(key_path, "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert_path, key_path)

lock = threading.Lock()
failures_left = [args.fail_first]


def emit(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if args.reject:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with lock:
            if failures_left[0] > 0:
                failures_left[0] -= 1
                return "451 4.3.0 try again later"
        emit({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
              "data": envelope.original_content.decode("utf-8", "replace"),
              # With --tls the socket is TLS from the start (aiosmtpd sets session.ssl only for STARTTLS).
              "tls": args.tls or session.ssl is not None,
              "authenticated": session.authenticated})
        return "250 2.0.0 accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = args.auth.split(":", 1)
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


options = dict(hostname="127.0.0.1", port=0, ready_timeout=10)
if args.tls:
    options["ssl_context"] = context
if args.starttls:
    options.update(tls_context=context, require_starttls=True)
if args.auth:
    options.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)


class Sink(Controller):
    def _trigger_server(self):
        # Asked for port 0: the readiness probe must connect to the port actually bound.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


controller = Sink(Handler(), **options)
controller.start()
port = controller.server.sockets[0].getsockname()[1]
emit({"port": port, "ca": cert_path})
sys.stdin.read()
controller.stop()
