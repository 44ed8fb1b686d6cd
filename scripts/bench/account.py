"""The account the benchmarks read as: incidents are not public, so the
server's side of a tile or statistics benchmark signs in as `bench`, a
command-centre account over every root area of the store."""
import json, subprocess, urllib.request

USER, PASSWORD = "bench", "bench-password"


def _psql(db, sql):
    return subprocess.run(["psql", "-qAt", db, "-c", sql], check=True, capture_output=True, text=True).stdout


def add_command_account(minqing, db):
    """(Re)creates `bench` in store `db` with `minqing user add`."""
    _psql(db, f"delete from sessions where username = '{USER}'; delete from users where username = '{USER}'")
    roots = _psql(db, "select code from areas where parent is null").split()
    subprocess.run([minqing, "--store", db, "user", "add", USER, "--role", "command", "--password-stdin"]
                   + [x for r in roots for x in ("--area", r)],
                   input=PASSWORD, text=True, check=True, capture_output=True)


def bearer(base):
    """Signs `bench` in at `base` (http://host:port): the header to send."""
    body = json.dumps({"username": USER, "password": PASSWORD}).encode()
    req = urllib.request.Request(base + "/api/auth/login", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return f"Authorization: Bearer {json.load(r)['token']}"
