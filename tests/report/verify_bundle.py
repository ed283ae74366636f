#!/usr/bin/env python3
"""Verifies an egresswatch case bundle (egresswatch export) on its own.

Written apart from egresswatch, with Python's standard library only, so that
someone who receives a bundle can check it without trusting our code:

  1. every record's canonical text, rebuilt from its stored columns, hashes to
     its record_hash;
  2. the chain proof links: each chain_hash is SHA-256 of the previous chain
     hash (hex) followed by the record hash (hex), from previous_hash to the
     chain head named in the bundle;
  3. every record's hashes are the ones the proof has at its seq;
  4. with --key PUB.pem (the sensor's Ed25519 public key): each store's latest
     signed checkpoint is that key's signature over the checkpoint text
     (include/egresswatch/signing.hpp), and the chain hash it signed is the
     proof's at its seq; records up to that seq are covered by the signature.
  5. the evidence packets (egresswatchd --evidence-packets): each packet's
     bytes, read from the bundle's pcapng, hash to its sha256; its fields hash
     to its record_hash; and the packet chain proof links them to its head.

Signatures are checked with Python's `cryptography` package when it is
installed, else with `openssl pkeyutl -verify` (EGRESSWATCH_VERIFY_WITH=openssl
forces that).

Usage: verify_bundle.py [--key PUB.pem] BUNDLE.json   (exit 0: verified, 1: it does not verify)
"""
import base64
import hashlib
import json
import os
import subprocess
import struct
import sys
import tempfile

# The canonical columns, in order (see include/egresswatch/evidence.hpp).
COLUMNS = [
    "flow_uid", "first_seen", "last_seen", "vlan", "inner_vlan", "ip_version", "transport", "ip_proto",
    "device_ip", "device_port", "device_mac", "remote_ip", "remote_port", "initiator", "bytes_out", "bytes_in",
    "packets_out", "packets_in", "app_protocol", "app_category", "domain", "remote_local", "country", "asn",
    "as_org", "community_id", "state", "severity", "reasons",
    # Optional columns (added later): left out of the text while null.
    "vlan_in", "inner_vlan_in",
]
FIRST_OPTIONAL = COLUMNS.index("vlan_in")


def canonical_value(value):
    if value is None:
        return b"null"
    if isinstance(value, bool):
        raise ValueError("a boolean is not a stored value")
    if isinstance(value, int):
        return b"i:%d" % value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return b"s:%d:" % len(data) + data
    if isinstance(value, dict) and "text_hex" in value:
        data = bytes.fromhex(value["text_hex"])
        return b"s:%d:" % len(data) + data
    if isinstance(value, dict) and "blob_hex" in value:
        return b"x:" + value["blob_hex"].encode("ascii")
    if isinstance(value, dict) and "real" in value:
        return b"r:" + value["real"].encode("ascii")
    raise ValueError("unknown value %r" % (value,))


def canonical_text(columns):
    names = list(columns)
    if len(names) < FIRST_OPTIONAL or names != COLUMNS[:len(names)]:
        raise ValueError("the columns are not the canonical ones, in order")
    columns = {name: columns.get(name) for name in COLUMNS}  # a bundle made before a column existed
    return b"".join(name.encode() + b"\t" + canonical_value(columns[name]) + b"\n"
                    for i, name in enumerate(COLUMNS) if i < FIRST_OPTIONAL or columns[name] is not None)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def raw_public_key(pem_path):
    """The 32 raw bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo)."""
    with open(pem_path, encoding="ascii") as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith("-----")]
    der = base64.b64decode("".join(lines))
    if len(der) != 44 or not der.startswith(ED25519_SPKI_PREFIX):
        raise ValueError("%s is not an Ed25519 public key in PEM" % pem_path)
    return der[12:]


def signature_is_valid(pem_path, message, signature):
    if os.environ.get("EGRESSWATCH_VERIFY_WITH") != "openssl":
        try:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives.serialization import load_pem_public_key
        except ImportError:
            pass
        else:
            with open(pem_path, "rb") as f:
                key = load_pem_public_key(f.read())
            try:
                key.verify(signature, message)
                return True
            except InvalidSignature:
                return False
    with tempfile.TemporaryDirectory() as tmp:
        message_path, signature_path = os.path.join(tmp, "message"), os.path.join(tmp, "signature")
        with open(message_path, "wb") as f:
            f.write(message)
        with open(signature_path, "wb") as f:
            f.write(signature)
        result = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem_path, "-rawin",
                                 "-in", message_path, "-sigfile", signature_path],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return result.returncode == 0


def checkpoint_text(c):
    fields = [("format", c["format"]), ("signed_at", c["signed_at_us"]), ("chain_seq", c["chain_seq"]),
              ("chain_hash", c["chain_hash"]), ("late_alert_seq", c["late_alert_seq"]),
              ("late_alert_hash", c["late_alert_hash"]), ("key_fingerprint", c["key_fingerprint"])]
    return "".join("%s\t%s\n" % (name, value) for name, value in fields).encode("ascii")


def verify_checkpoint(store, key_path, links, notes):
    """Problems with the store's signed checkpoint, checked with the public key at key_path."""
    c = store.get("signed_checkpoint")
    if c is None:
        return ["no signed checkpoint: the sensor did not sign this chain (egresswatchd --signing-key)"]
    if c.get("format") != "egresswatch-checkpoint/1":
        return ["unknown checkpoint format %r" % c.get("format")]
    fingerprint = hashlib.sha256(raw_public_key(key_path)).hexdigest()
    if c["key_fingerprint"] != fingerprint:
        return ["the checkpoint names key %s, not the key given (%s)" % (c["key_fingerprint"], fingerprint)]
    try:
        signature = bytes.fromhex(c["signature"])
    except ValueError:
        signature = b""
    if not signature_is_valid(key_path, checkpoint_text(c), signature):
        return ["bad signature: the checkpoint was edited or forged"]
    seq, proof = c["chain_seq"], store["chain_proof"]
    signed_hash = links.get(seq, (None, None))[1]
    if seq == 0 or (links and seq == min(links) - 1):
        signed_hash = proof.get("previous_hash") if seq else "0" * 64
    if signed_hash != c["chain_hash"]:
        return ["the signed chain head seq %d is not the chain proof's: the chain was rewritten after it was signed"
                % seq]
    covered = sum(1 for r in store["records"] if r["seq"] <= seq)
    notes.append("%s: signed checkpoint at chain seq %d covers %d of its %d records" %
                 (store["path"], seq, covered, len(store["records"])))
    return []


def packet_text(p):
    def text(v):
        data = v.encode("utf-8")
        return b"s:%d:" % len(data) + data
    fields = [("flow_uid", text(p["flow_uid"])), ("seq", b"i:%d" % p["seq"]), ("direction", text(p["direction"])),
              ("ts", b"i:%d" % p["ts"]), ("caplen", b"i:%d" % p["caplen"]), ("origlen", b"i:%d" % p["origlen"]),
              ("linktype", b"i:%d" % p["linktype"]), ("sha256", text(p["sha256"]))]
    return b"".join(name.encode() + b"\t" + value + b"\n" for name, value in fields)


def pcapng_packets(data):
    """(linktype, ts_us, origlen, bytes) of every enhanced packet block, in order."""
    packets, interfaces, offset = [], [], 0
    while offset + 12 <= len(data):
        block_type, length = struct.unpack_from("<II", data, offset)
        if length < 12 or offset + length > len(data):
            raise ValueError("pcapng: a block overruns the file")
        body = data[offset + 8:offset + length - 4]
        if block_type == 0x0A0D0D0A:
            if struct.unpack_from("<I", body, 0)[0] != 0x1A2B3C4D:
                raise ValueError("pcapng: not little-endian")
            interfaces = []
        elif block_type == 1:
            interfaces.append(struct.unpack_from("<H", body, 0)[0])
        elif block_type == 6:
            interface, high, low, caplen, origlen = struct.unpack_from("<IIIII", body, 0)
            packets.append((interfaces[interface], (high << 32) | low, origlen, body[20:20 + caplen]))
        offset += length
    return packets


def verify_packet_chain(store):
    links, problems = check_proof(store.get("packet_chain_proof", {}), store.get("packet_chain_head", {}),
                                  bool(store.get("evidence_packets")), "packet chain")
    for p in store.get("evidence_packets", []):
        if sha256_hex(packet_text(p)) != p["record_hash"]:
            problems.append("packet %d of flow %s: its fields do not hash to its record hash" % (p["seq"], p["flow_uid"]))
        if links.get(p["chain_seq"]) != (p["record_hash"], p["chain_hash"]):
            problems.append("packet %d of flow %s: its hashes are not the chain proof's" % (p["seq"], p["flow_uid"]))
    return problems


def verify_packet_bytes(bundle):
    listed = [p for store in bundle["stores"] for p in store.get("evidence_packets", [])]
    encoded = bundle.get("pcapng_base64")
    if not listed and not encoded:
        return [], 0
    try:
        captured = pcapng_packets(base64.b64decode(encoded or ""))
    except (ValueError, struct.error, IndexError) as e:
        return ["pcapng: %s" % e], 0
    if len(captured) != len(listed):
        return ["pcapng: %d packets, the bundle lists %d" % (len(captured), len(listed))], 0
    problems = []
    for p, (linktype, ts, origlen, data) in zip(listed, captured):
        if (sha256_hex(data) != p["sha256"] or len(data) != p["caplen"] or linktype != p["linktype"]
                or ts != p["ts"] or origlen != p["origlen"]):
            problems.append("packet %d of flow %s: the pcapng's packet is not the sealed one" % (p["seq"], p["flow_uid"]))
    return problems, len(listed)


def check_proof(proof, head, has_entries, chain):
    """The links of a chain proof by seq, and its problems: each link follows from the one before, up to the head."""
    problems, links = [], {}
    previous = proof.get("previous_hash")
    expected_seq = None
    for seq, record_hash, chain_hash in proof.get("links", []):
        if expected_seq is not None and seq != expected_seq:
            problems.append("%s proof: seq %d follows %d" % (chain, seq, expected_seq - 1))
        if sha256_hex((previous + record_hash).encode("ascii")) != chain_hash:
            problems.append("%s proof: seq %d does not follow from the entry before" % (chain, seq))
        links[seq] = (record_hash, chain_hash)
        previous = chain_hash
        expected_seq = seq + 1
    if has_entries and (previous != head.get("hash") or expected_seq is None or expected_seq - 1 != head.get("seq")):
        problems.append("%s proof: does not end at the %s head seq %s" % (chain, chain, head.get("seq")))
    return links, problems


def verify_store(store):
    links, problems = check_proof(store["chain_proof"], store["chain_head"], bool(store["records"]), "chain")
    for record in store["records"]:
        seq = record["seq"]
        if sha256_hex(canonical_text(record["columns"])) != record["record_hash"]:
            problems.append("seq %d: the columns do not hash to the record hash" % seq)
        if links.get(seq) != (record["record_hash"], record["chain_hash"]):
            problems.append("seq %d: the record's hashes are not the chain proof's" % seq)
    return problems, links


def main():
    args = sys.argv[1:]
    key_path = None
    if len(args) == 3 and args[0] == "--key":
        key_path, args = args[1], args[2:]
    if len(args) != 1:
        print("usage: verify_bundle.py [--key PUB.pem] BUNDLE.json")
        return 2
    with open(args[0], encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("format") != "egresswatch-case-bundle/1":
        print("not an egresswatch case bundle")
        return 1
    problems, records, notes = [], 0, []
    for store in bundle["stores"]:
        records += len(store["records"])
        store_problems, links = verify_store(store)
        if key_path:
            store_problems += verify_checkpoint(store, key_path, links, notes)
        store_problems += verify_packet_chain(store)
        problems += ["%s: %s" % (store["path"], p) for p in store_problems]
    packet_problems, packets = verify_packet_bytes(bundle)
    problems += packet_problems
    for p in problems + notes:
        print(p)
    if problems or records == 0:
        print("does not verify" if problems else "no records")
        return 1
    print("verified: %d records" % records + (", %d packets" % packets if packets else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
