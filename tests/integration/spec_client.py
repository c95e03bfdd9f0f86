#!/usr/bin/python3
"""spec_client.py: an independent buurt client, written from docs/PROTOCOL.md.

Usage: spec_client.py ENDPOINT        (e.g. ipc:///tmp/node/api.sock)

It talks to a running buurtd over the client protocol (a ZeroMQ DEALER
socket, one frame per message) and re-derives everything the protocol
promises without libbuurt: it writes records, reads them back, erases one,
reads the whole log from seq 1 and, for every update, parses the envelope
by the byte table of section 4, re-encodes it by hand and compares bytes,
verifies the Ed25519 signature over "buurt/1 update\\n" || envelope with the
namespace key, checks body length and BLAKE2b-256 hash, and checks every
prev against the hash of the previous signed update.  It also sends
malformed requests and checks the error replies.

Only Debian packages: python3-zmq, python3-msgpack, python3-nacl; hashlib.
Exit status 0 when everything verified, 1 with a message otherwise, 2 on
bad usage.
"""

import hashlib
import os
import struct
import sys
import time

import msgpack
import nacl.exceptions
import nacl.signing
import zmq

# Section 3, "Limits".
PROTOCOL_VERSION = 1
SIGN_TAG = b"buurt/1 update\n"
ENVELOPE_MAX = 256
UPDATE_MAX = 320
BODY_MAX = 32768
MSG_MAX = 65536
DEPTH_BODY = 8
DEPTH_REPLY = 12
ITEMS_MAX = 1024
KIND_MAX = 32
ID_MAX = 64
SIG_LEN = 64
TIME_SKEW_MS = 600000
OP_PUT = 1
OP_ERASE = 2
ZERO32 = bytes(32)

# Section 11, "Error codes": the ones this client provokes or expects.
ERRORS = {
    -7: "ENONCANON",
    -12: "EVERSION",
    -13: "EFORMAT",
    -19: "ESCHEMA",
    -21: "ENOTFOUND",
    -32: "EPROTO",
}


class Fail(Exception):
    """A check failed: the message says which."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def blake2b256(data):
    # Section 5.4: BLAKE2b with a 32-byte digest length, no key.
    return hashlib.blake2b(data, digest_size=32).digest()


# ---------------------------------------------------------------------
# Section 2: canonical msgpack, checked by a walk over the bytes.
# ---------------------------------------------------------------------

class NonCanonical(Exception):
    def __init__(self, name, where):
        super().__init__("%s at byte %d" % (name, where))
        self.name = name


def utf8_ok(b):
    # M9: well-formed UTF-8 without NUL.  Python's strict decoder refuses
    # overlong forms, surrogates and code points above U+10FFFF.
    if b"\x00" in b:
        return False
    try:
        b.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def keycmp(a, b):
    # M14: bytewise, a proper prefix first (Python's bytes order).
    return (a > b) - (a < b)


def mp_check(buf, size_cap, depth_cap, top, sorted_keys):
    """Raise NonCanonical unless buf is one canonical object (M1-M14)."""
    n = len(buf)
    if n > size_cap:
        raise NonCanonical("ETOOBIG", 0)
    if n == 0:
        raise NonCanonical("ETRUNC", 0)
    pos = 0
    # Stack of open containers: [left, is_map, key_next, prev_key].
    stack = []
    first = True
    while True:
        if pos >= n:
            raise NonCanonical("ETRUNC", pos)
        c = buf[pos]
        parent = stack[-1] if stack else None
        is_key = parent is not None and parent[1] and parent[2]
        kind = "scalar"
        count = 0
        hdr = 1
        if c <= 0x7f or c >= 0xe0 or c in (0xc0, 0xc2, 0xc3):
            pass
        elif 0x80 <= c <= 0x8f:
            kind, count = "map", c & 0x0f
        elif 0x90 <= c <= 0x9f:
            kind, count = "array", c & 0x0f
        elif 0xa0 <= c <= 0xbf:
            kind, count = "str", c & 0x1f
        elif c == 0xc1:
            raise NonCanonical("ERESERVED", pos)
        elif 0xc7 <= c <= 0xc9 or 0xd4 <= c <= 0xd8:
            raise NonCanonical("EEXTTYPE", pos)
        elif c == 0xca:
            raise NonCanonical("ENONCANON", pos)
        else:
            extra = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2,
                     0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8,
                     0xd9: 1, 0xda: 2, 0xdb: 4, 0xdc: 2, 0xdd: 4, 0xde: 2,
                     0xdf: 4}[c]
            hdr = 1 + extra
            if n - pos < hdr:
                raise NonCanonical("ETRUNC", pos)
            v = int.from_bytes(buf[pos + 1:pos + hdr], "big")
            if c in (0xc4, 0xc5, 0xc6):
                if (c == 0xc5 and v < 0x100) or (c == 0xc6 and v < 0x10000):
                    raise NonCanonical("ENONCANON", pos)
                kind, count = "bin", v
            elif c == 0xcb:
                if (v >> 52) & 0x7ff == 0x7ff:
                    raise NonCanonical("ENONCANON", pos)
            elif c in (0xcc, 0xcd, 0xce, 0xcf):
                low = {0xcc: 0x80, 0xcd: 0x100, 0xce: 0x10000,
                       0xcf: 0x100000000}[c]
                if v < low:
                    raise NonCanonical("ENONCANON", pos)
            elif c in (0xd0, 0xd1, 0xd2, 0xd3):
                bits = 8 * extra
                sv = v - (1 << bits) if v >> (bits - 1) else v
                high = {0xd0: -33, 0xd1: -129, 0xd2: -32769,
                        0xd3: -2147483649}[c]
                if sv > high:
                    raise NonCanonical("ENONCANON", pos)
            elif c in (0xd9, 0xda, 0xdb):
                low = {0xd9: 32, 0xda: 0x100, 0xdb: 0x10000}[c]
                if v < low:
                    raise NonCanonical("ENONCANON", pos)
                kind, count = "str", v
            elif c in (0xdc, 0xdd):
                if (c == 0xdc and v < 16) or (c == 0xdd and v < 0x10000):
                    raise NonCanonical("ENONCANON", pos)
                kind, count = "array", v
            else:
                if (c == 0xde and v < 16) or (c == 0xdf and v < 0x10000):
                    raise NonCanonical("ENONCANON", pos)
                kind, count = "map", v
        start = pos
        pos += hdr
        if first:
            if top is not None and kind != top:
                raise NonCanonical("EFORMAT", start)
            first = False
        if is_key and sorted_keys and kind != "str":
            raise NonCanonical("EFORMAT", start)
        key = None
        if kind in ("str", "bin"):
            if count > size_cap:
                raise NonCanonical("ETOOBIG", start)
            if n - pos < count:
                raise NonCanonical("ETRUNC", start)
            if kind == "str" and not utf8_ok(buf[pos:pos + count]):
                raise NonCanonical("EUTF8", start)
            key = bytes(buf[pos:pos + count])
            pos += count
        elif kind in ("array", "map"):
            if count > ITEMS_MAX:
                raise NonCanonical("ETOOBIG", start)
            if n - pos < (2 * count if kind == "map" else count):
                raise NonCanonical("ETRUNC", start)
            if len(stack) + 1 > depth_cap:
                raise NonCanonical("EDEPTH", start)
        if is_key and sorted_keys:
            if parent[3] is not None:
                cmp = keycmp(parent[3], key)
                if cmp == 0:
                    raise NonCanonical("EDUPKEY", start)
                if cmp > 0:
                    raise NonCanonical("ENONCANON", start)
            parent[3] = key
        if parent is not None:
            parent[0] -= 1
            if parent[1]:
                parent[2] = not parent[2]
        if kind in ("array", "map") and count > 0:
            stack.append([2 * count if kind == "map" else count,
                          kind == "map", True, None])
            continue
        while stack and stack[-1][0] == 0:
            stack.pop()
        if not stack:
            break
    if pos != n:
        raise NonCanonical("ETRAILING", pos)


# ---------------------------------------------------------------------
# A canonical encoder written by hand from table 2.2.
# ---------------------------------------------------------------------

def enc_uint(v):
    check(0 <= v < 1 << 64, "uint out of range")
    if v <= 0x7f:
        return bytes([v])
    if v <= 0xff:
        return b"\xcc" + struct.pack(">B", v)
    if v <= 0xffff:
        return b"\xcd" + struct.pack(">H", v)
    if v <= 0xffffffff:
        return b"\xce" + struct.pack(">I", v)
    return b"\xcf" + struct.pack(">Q", v)


def enc_int(v):
    if v >= 0:
        return enc_uint(v)
    if v >= -32:
        return struct.pack(">b", v)
    if v >= -128:
        return b"\xd0" + struct.pack(">b", v)
    if v >= -32768:
        return b"\xd1" + struct.pack(">h", v)
    if v >= -(1 << 31):
        return b"\xd2" + struct.pack(">i", v)
    return b"\xd3" + struct.pack(">q", v)


def enc_str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    n = len(b)
    if n <= 31:
        return bytes([0xa0 | n]) + b
    if n <= 0xff:
        return b"\xd9" + bytes([n]) + b
    if n <= 0xffff:
        return b"\xda" + struct.pack(">H", n) + b
    return b"\xdb" + struct.pack(">I", n) + b


def enc_bin(b):
    n = len(b)
    if n <= 0xff:
        return b"\xc4" + bytes([n]) + b
    if n <= 0xffff:
        return b"\xc5" + struct.pack(">H", n) + b
    return b"\xc6" + struct.pack(">I", n) + b


def enc_hdr(n, fix, c16, c32):
    if n <= 15:
        return bytes([fix | n])
    if n <= 0xffff:
        return bytes([c16]) + struct.pack(">H", n)
    return bytes([c32]) + struct.pack(">I", n)


def canonical(o):
    """The canonical body encoding of o (section 7): keys sorted."""
    if o is None:
        return b"\xc0"
    if o is True:
        return b"\xc3"
    if o is False:
        return b"\xc2"
    if isinstance(o, int):
        return enc_int(o)
    if isinstance(o, float):
        return b"\xcb" + struct.pack(">d", o)
    if isinstance(o, str):
        return enc_str(o)
    if isinstance(o, (bytes, bytearray)):
        return enc_bin(bytes(o))
    if isinstance(o, (list, tuple)):
        return enc_hdr(len(o), 0x90, 0xdc, 0xdd) + b"".join(
            canonical(x) for x in o)
    if isinstance(o, dict):
        keys = sorted(o, key=lambda k: k.encode("utf-8"))
        return enc_hdr(len(o), 0x80, 0xde, 0xdf) + b"".join(
            enc_str(k) + canonical(o[k]) for k in keys)
    raise Fail("cannot encode %r" % (o,))


# ---------------------------------------------------------------------
# Section 4: the envelope, parsed by its byte table.
# ---------------------------------------------------------------------

KIND_FIRST = set(b"abcdefghijklmnopqrstuvwxyz")
KIND_CHARS = KIND_FIRST | set(b"0123456789-")
ID_CHARS = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               b"0123456789._~-")


class Reader:
    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def take(self, n):
        check(len(self.buf) - self.pos >= n, "envelope truncated")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def byte(self):
        return self.take(1)[0]

    def uint(self):
        c = self.byte()
        if c <= 0x7f:
            return c
        sizes = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}
        check(c in sizes, "envelope: uint expected, found %02x" % c)
        return int.from_bytes(self.take(sizes[c]), "big")

    def bin32(self):
        check(self.take(2) == b"\xc4\x20", "envelope: bin 32 expected")
        return self.take(32)

    def short_str(self):
        c = self.byte()
        if 0xa0 <= c <= 0xbf:
            n = c & 0x1f
        else:
            check(c == 0xd9, "envelope: str expected, found %02x" % c)
            n = self.byte()
        return self.take(n)


def parse_envelope(env):
    """Parse by the table of 4.2, check 4.1's constraints, and compare
    with a re-encoding by hand.  Returns a dict of the fields."""
    check(112 <= len(env) <= 226, "envelope of %d bytes" % len(env))
    r = Reader(env)
    check(r.byte() == 0x9a, "envelope: not a fixarray of 10")
    e = {}
    e["version"] = r.uint()
    check(e["version"] == PROTOCOL_VERSION, "envelope: version %d"
          % e["version"])
    e["ns"] = r.bin32()
    e["seq"] = r.uint()
    e["prev"] = r.bin32()
    e["time"] = r.uint()
    e["kind"] = r.short_str()
    e["id"] = r.short_str()
    e["op"] = r.uint()
    e["body_hash"] = r.bin32()
    e["body_len"] = r.uint()
    check(r.pos == len(env), "envelope: trailing bytes")

    k, i = e["kind"], e["id"]
    check(1 <= len(k) <= KIND_MAX and k[0] in KIND_FIRST and
          all(c in KIND_CHARS for c in k), "envelope: bad kind %r" % k)
    check(1 <= len(i) <= ID_MAX and all(c in ID_CHARS for c in i),
          "envelope: bad id %r" % i)
    check(e["seq"] >= 1, "envelope: seq 0")
    check(e["seq"] != 1 or e["prev"] == ZERO32,
          "envelope: seq 1 with a non-zero prev")
    check(e["op"] in (OP_PUT, OP_ERASE), "envelope: op %d" % e["op"])
    check(e["body_len"] <= BODY_MAX, "envelope: body_len over the cap")
    if e["op"] == OP_ERASE:
        check(e["body_len"] == 0 and e["body_hash"] == ZERO32,
              "envelope: erase with a body")

    again = (b"\x9a" + enc_uint(e["version"]) + enc_bin(e["ns"]) +
             enc_uint(e["seq"]) + enc_bin(e["prev"]) + enc_uint(e["time"]) +
             enc_str(k) + enc_str(i) + enc_uint(e["op"]) +
             enc_bin(e["body_hash"]) + enc_uint(e["body_len"]))
    check(again == env, "envelope is not canonical: re-encoded bytes differ")
    # The library-independent pre-check must agree too.
    mp_check(env, ENVELOPE_MAX, 1, "array", False)
    e["kind"] = k.decode("ascii")
    e["id"] = i.decode("ascii")
    return e


def verify_update(update, body):
    """Section 6, steps 1-7.  Returns (envelope fields, update hash)."""
    check(len(update) <= UPDATE_MAX, "update over %d bytes" % UPDATE_MAX)
    check(len(update) > SIG_LEN, "update truncated")
    env, sig = update[:-SIG_LEN], update[-SIG_LEN:]
    e = parse_envelope(env)
    try:
        nacl.signing.VerifyKey(e["ns"]).verify(SIGN_TAG + env, sig)
    except nacl.exceptions.BadSignatureError:
        raise Fail("bad signature on seq %d" % e["seq"])
    if e["op"] == OP_ERASE:
        check(body is None, "an erase came with a body")
    elif body is not None:
        check(len(body) == e["body_len"], "body length %d, envelope says %d"
              % (len(body), e["body_len"]))
        check(blake2b256(body) == e["body_hash"], "body hash mismatch")
        mp_check(body, BODY_MAX, DEPTH_BODY, "map", True)
    return e, blake2b256(update)


# ---------------------------------------------------------------------
# Section 10: the client protocol.
# ---------------------------------------------------------------------

class Client:
    def __init__(self, endpoint):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.MAXMSGSIZE, MSG_MAX + 1024)
        self.sock.setsockopt(zmq.RCVTIMEO, 15000)
        self.sock.setsockopt(zmq.SNDTIMEO, 15000)
        self.sock.connect(endpoint)
        self.rid = int.from_bytes(os.urandom(4), "big") << 16

    def close(self):
        self.sock.close()
        self.ctx.term()

    def send_raw(self, frame):
        """Send one frame; return the raw reply frame (one part)."""
        self.sock.send(frame)
        try:
            parts = self.sock.recv_multipart()
        except zmq.Again:
            raise Fail("no reply within 15 s")
        check(len(parts) == 1, "reply of %d frames" % len(parts))
        return parts[0]

    def decode_reply(self, frame, rid):
        check(len(frame) <= MSG_MAX, "reply over %d bytes" % MSG_MAX)
        try:
            mp_check(frame, MSG_MAX, DEPTH_REPLY, "array", True)
        except NonCanonical as e:
            raise Fail("reply is not canonical: %s" % e)
        r = msgpack.unpackb(frame, raw=False, strict_map_key=False)
        check(isinstance(r, list) and len(r) == 4, "reply is not [4]")
        check(r[0] == PROTOCOL_VERSION, "reply version %r" % (r[0],))
        check(r[1] == rid, "reply rid %r, sent %r" % (r[1], rid))
        check(isinstance(r[2], int) and r[2] <= 0, "bad code %r" % (r[2],))
        check(isinstance(r[3], dict), "result is not a map")
        return r[2], r[3]

    def call(self, op, args, want=0):
        self.rid += 1
        frame = msgpack.packb([PROTOCOL_VERSION, self.rid, op, args],
                              use_bin_type=True)
        code, res = self.decode_reply(self.send_raw(frame), self.rid)
        if code != want:
            raise Fail("%s: code %d (%s: %s), wanted %d" % (
                op, code, res.get("error"), res.get("message"), want))
        if code < 0:
            check_error(res, code)
        return res


def check_error(res, code):
    check(isinstance(res.get("error"), str), "error map without error")
    check(isinstance(res.get("message"), str), "error map without message")
    if code in ERRORS:
        check(res["error"] == ERRORS[code], "code %d named %r" % (
            code, res["error"]))
    check(set(res) <= {"error", "message", "field"},
          "error map with keys %r" % sorted(res))


def check_item(item, ns=None, kind=None, rid_id=None):
    check(isinstance(item, dict) and set(item) == {"body", "update"},
          "item is not {body, update}: %r" % (sorted(item),))
    check(isinstance(item["update"], bytes), "update is not bin")
    check(item["body"] is None or isinstance(item["body"], bytes),
          "body is neither bin nor nil")
    e, h = verify_update(item["update"], item["body"])
    if ns is not None:
        check(e["ns"] == ns, "item of another namespace")
    if kind is not None:
        check(e["kind"] == kind, "item of kind %s, not %s" % (e["kind"], kind))
    if rid_id is not None:
        check(e["id"] == rid_id, "item of id %s, not %s" % (e["id"], rid_id))
    return e, h


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: spec_client.py ENDPOINT\n")
        return 2
    endpoint = argv[1]
    if endpoint.startswith("ipc://") and not os.path.exists(endpoint[6:]):
        sys.stderr.write("spec_client: no socket at %s\n" % endpoint[6:])
        return 1
    c = Client(endpoint)
    try:
        run(c)
    except Fail as e:
        sys.stderr.write("spec_client: FAIL: %s\n" % e)
        return 1
    except NonCanonical as e:
        sys.stderr.write("spec_client: FAIL: not canonical: %s\n" % e)
        return 1
    finally:
        c.close()
    print("spec_client: OK")
    return 0


def run(c):
    tag = os.urandom(4).hex()
    now = int(time.time() * 1000)

    # status: who is the node?
    st = c.call("status", {})
    for k, t in (("id", bytes), ("map_size", int), ("map_used", int),
                 ("name", str), ("namespaces", list), ("version", str)):
        check(isinstance(st.get(k), t), "status: %s missing or mistyped" % k)
    ns = st["id"]
    check(len(ns) == 32, "status: id is not 32 bytes")
    print("node %s (%s), buurtd %s" % (ns.hex(), st["name"], st["version"]))

    # put, in the client's own key order, with an extension field whose
    # nested map is unsorted too and whose values need int 8, float64,
    # nil and bool: the node must return the canonical body.
    rid_a = "spec-%s-a" % tag
    body_a = {
        "title": "Kookclub Haren",
        "status": "running",
        "pillar": "social-ties",
        "description": "Once a month De Haar becomes a restaurant for "
                       "people connected to Haren.",
        "tags": ["food", "haren"],
        "x-spec": {"zeta": -33, "alpha": [1.5, None, True, 300, -129]},
    }
    want_a = canonical(body_a)
    mp_check(want_a, BODY_MAX, DEPTH_BODY, "map", True)
    it = c.call("put", {"kind": "initiative", "id": rid_a, "body": body_a})
    e, h = check_item(it, ns, "initiative", rid_a)
    check(e["op"] == OP_PUT, "put returned op %d" % e["op"])
    check(it["body"] == want_a, "put: the node's canonical body differs "
          "from section 7's:\n  node %s\n  spec %s" % (it["body"].hex(),
                                                       want_a.hex()))
    check(e["time"] <= int(time.time() * 1000) + TIME_SKEW_MS and
          e["time"] >= now - 60000, "put: implausible time %d" % e["time"])
    print("put initiative/%s: seq %d, %d-byte body, hash %s" % (
        rid_a, e["seq"], len(it["body"]), h.hex()))
    put_update = it["update"]

    # get it back: the same signed update and body.
    it = c.call("get", {"kind": "initiative", "id": rid_a, "ns": ns})
    check_item(it, ns, "initiative", rid_a)
    check(it["update"] == put_update and it["body"] == want_a,
          "get returned other bytes than put")
    print("get initiative/%s: identical" % rid_a)

    # put without an id: the node assigns one.
    it = c.call("put", {"kind": "initiative", "body": body_a})
    eg, _ = check_item(it, ns, "initiative")
    check(it["body"] == want_a, "put without id: body not canonical")
    print("put without id: node assigned initiative/%s" % eg["id"])

    # a second record, then erase it.
    rid_b = "spec-%s-b" % tag
    body_b = {"title": "Heksje Route", "description": "A children's trail "
              "in the Geffense Bosjes.", "pillar": "living-environment",
              "status": "running"}
    it = c.call("put", {"kind": "initiative", "id": rid_b, "body": body_b})
    eb, _ = check_item(it, ns, "initiative", rid_b)
    check(it["body"] == canonical(body_b), "second put: body not canonical")
    it = c.call("erase", {"kind": "initiative", "id": rid_b})
    ee, _ = check_item(it, ns, "initiative", rid_b)
    check(ee["op"] == OP_ERASE and it["body"] is None,
          "erase did not return an erase update without body")
    check(ee["seq"] == eb["seq"] + 1, "erase is not the next seq")
    it = c.call("get", {"kind": "initiative", "id": rid_b})
    eg, _ = check_item(it, ns, "initiative", rid_b)
    check(eg["op"] == OP_ERASE and it["body"] is None,
          "get after erase did not return the erase")
    print("erase initiative/%s: seq %d" % (rid_b, ee["seq"]))

    # list: rid_a is there, rid_b (erased) is not.
    seen_a = False
    after = None
    pages = 0
    while True:
        args = {"kind": "initiative", "limit": 2}
        if after is not None:
            args["after"] = after
        page = c.call("list", args)
        pages += 1
        check(set(page) == {"items", "next"}, "list: keys %r" % sorted(page))
        last = None
        for item in page["items"]:
            ei, _ = check_item(item, ns, "initiative")
            check(ei["op"] == OP_PUT and item["body"] is not None,
                  "list returned an erased record")
            check(last is None or last < ei["id"].encode(),
                  "list not in id order")
            check(after is None or ei["id"].encode() > after.encode(),
                  "list returned an id not after 'after'")
            last = ei["id"].encode()
            seen_a |= ei["id"] == rid_a
            check(ei["id"] != rid_b, "list returned the erased record")
        if page["next"] is None:
            break
        check(isinstance(page["next"], str), "list: next is not str")
        after = page["next"]
        check(pages < 100000, "list does not end")
    check(seen_a, "list did not return %s" % rid_a)
    print("list initiative: %d page(s)" % pages)

    # the whole log from seq 1, verified as a chain.
    head_seq, head_hash, head_time = 0, ZERO32, 0
    frm = 1
    n_updates = n_bodies = n_erased = 0
    bodies_seen = {}
    while True:
        # Small pages, so that paging by "next" is exercised.
        page = c.call("log", {"ns": ns, "from": frm, "limit": 2})
        check(len(page["items"]) <= 2, "log: page over its limit")
        check(set(page) == {"items", "next"}, "log: keys %r" % sorted(page))
        check(len(page["items"]) > 0 or page["next"] is None,
              "log: empty page with a next")
        for item in page["items"]:
            ei, hi = check_item(item, ns)
            check(ei["seq"] == head_seq + 1, "log: seq %d after %d (ESEQ)"
                  % (ei["seq"], head_seq))
            check(ei["prev"] == head_hash, "log: seq %d prev is not the "
                  "hash of seq %d (EPREV)" % (ei["seq"], head_seq))
            check(ei["time"] >= head_time, "log: seq %d time runs "
                  "backwards (ETIME)" % ei["seq"])
            head_seq, head_hash, head_time = ei["seq"], hi, ei["time"]
            n_updates += 1
            if item["body"] is not None:
                n_bodies += 1
            elif ei["op"] == OP_PUT:
                n_erased += 1
            bodies_seen[ei["seq"]] = (ei, item["body"])
        if page["next"] is None:
            break
        check(isinstance(page["next"], int) and page["next"] ==
              head_seq + 1, "log: next %r after seq %d" % (page["next"],
                                                            head_seq))
        frm = page["next"]
    check(bodies_seen.get(eb["seq"], (None, b""))[1] is None,
          "log: the erased record's put still has a body")
    check(bodies_seen.get(e["seq"], (None, None))[1] == want_a,
          "log: the first put's body is missing or differs")
    print("log: %d updates, chain verified to seq %d, head %s; "
          "%d bodies, %d erased" % (n_updates, head_seq, head_hash.hex(),
                                    n_bodies, n_erased))

    # status agrees with the log's head.
    st = c.call("status", {})
    mine = [x for x in st["namespaces"] if x.get("ns") == ns]
    check(len(mine) == 1, "status: own namespace not listed once")
    check(mine[0]["seq"] == head_seq and mine[0]["hash"] == head_hash and
          mine[0]["time"] == head_time, "status: head differs from the log")
    print("status: head seq %d matches" % head_seq)

    # Errors (sections 10.4 and 11).
    c.rid += 1
    frame = msgpack.packb([1, c.rid, "post", {}], use_bin_type=True)
    code, res = c.decode_reply(c.send_raw(frame), c.rid)
    check(code == -32 and res.get("error") == "EPROTO" and
          res.get("field") == "op", "unknown op: got %d %r" % (code, res))
    check_error(res, code)
    print("unknown op: %d %s field=%s" % (code, res["error"], res["field"]))

    c.rid += 1
    frame = msgpack.packb([2, c.rid, "status", {}], use_bin_type=True)
    code, res = c.decode_reply(c.send_raw(frame), c.rid)
    check(code == -12 and res.get("error") == "EVERSION",
          "version 2: got %d %r" % (code, res))
    print("version 2: %d %s" % (code, res["error"]))

    # rid 5 written as uint 16 (cd 00 05): not the shortest form.  The
    # node cannot trust the rid of a non-canonical frame: rid 0.
    frame = b"\x94\x01\xcd\x00\x05\xa6status\x80"
    code, res = c.decode_reply(c.send_raw(frame), 0)
    check(code == -7 and res.get("error") == "ENONCANON",
          "non-canonical rid: got %d %r" % (code, res))
    print("non-canonical: %d %s" % (code, res["error"]))

    res = c.call("put", {"kind": "initiative", "id": "spec-%s-c" % tag,
                         "body": {"description": "no title",
                                  "pillar": "social-ties",
                                  "status": "idea"}}, want=-19)
    check(res.get("field") == "title", "schema error names field %r"
          % (res.get("field"),))
    print("schema: %s field=%s" % (res["error"], res["field"]))

    res = c.call("get", {"kind": "initiative", "id": "spec-%s-none" % tag},
                 want=-21)
    print("get of a missing record: %s" % res["error"])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
