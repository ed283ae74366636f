#!/usr/bin/env python3
"""Verifies an egresswatch case bundle (egresswatch export) on its own.

Written apart from egresswatch, with Python's standard library only, so that
someone who receives a bundle can check it without trusting our code:

  1. every record's canonical text, rebuilt from its stored columns, hashes to
     its record_hash;
  2. the chain proof links: each chain_hash is SHA-256 of the previous chain
     hash (hex) followed by the record hash (hex), from previous_hash to the
     chain head named in the bundle;
  3. every record's hashes are the ones the proof has at its seq.

Usage: verify_bundle.py BUNDLE.json   (exit 0: verified, 1: it does not verify)
"""
import hashlib
import json
import sys

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


def verify_store(store):
    problems = []
    proof = store["chain_proof"]
    links = {}
    previous = proof.get("previous_hash")
    expected_seq = None
    for seq, record_hash, chain_hash in proof.get("links", []):
        if expected_seq is not None and seq != expected_seq:
            problems.append("chain proof: seq %d follows %d" % (seq, expected_seq - 1))
        if sha256_hex((previous + record_hash).encode("ascii")) != chain_hash:
            problems.append("chain proof: seq %d does not follow from the entry before" % seq)
        links[seq] = (record_hash, chain_hash)
        previous = chain_hash
        expected_seq = seq + 1
    head = store["chain_head"]
    if store["records"] and (previous != head["hash"] or expected_seq - 1 != head["seq"]):
        problems.append("chain proof: does not end at the chain head seq %d" % head["seq"])
    for record in store["records"]:
        seq = record["seq"]
        if sha256_hex(canonical_text(record["columns"])) != record["record_hash"]:
            problems.append("seq %d: the columns do not hash to the record hash" % seq)
        if links.get(seq) != (record["record_hash"], record["chain_hash"]):
            problems.append("seq %d: the record's hashes are not the chain proof's" % seq)
    return problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("format") != "egresswatch-case-bundle/1":
        print("not an egresswatch case bundle")
        return 1
    problems, records = [], 0
    for store in bundle["stores"]:
        records += len(store["records"])
        problems += ["%s: %s" % (store["path"], p) for p in verify_store(store)]
    for p in problems:
        print(p)
    if problems or records == 0:
        print("does not verify" if problems else "no records")
        return 1
    print("verified: %d records" % records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
