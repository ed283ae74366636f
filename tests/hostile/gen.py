#!/usr/bin/env python3
"""Hostile-traffic captures: one per attack on the sensor's packet-grown state.

    gen.py ATTACK OUT.pcap [N]

Every capture is classic pcap (Ethernet, microseconds), deterministic: the
same arguments write the same bytes. Attacks (N is the number of packets or
responses, default in brackets):

  dns-amplify [200]   forged DNS responses to 10.20.0.50: a 253-octet question,
                      a chain of 16 CNAMEs, 500 A answers (names compressed, so
                      8 KB of packet carry 380 KB of names); half the names are
                      printable, half need \\DDD escapes (four times longer)
  dns-repeat [2000]   one ordinary response, replayed N times
  mdns-names [4000]   one device announcing a new service instance and host
                      name in every mDNS response
  dhcp-macs [100000]  DHCP discovers, each from a new MAC, none answered
  fe80-sources [50000] UDP from N random link-local IPv6 sources
  future-stamp [600]  a UDP flow with a packet every second, and in its middle
                      one packet of another flow stamped 2036
  bad-stamp           pcapng whose second packet is stamped 2^64-1
  big [1000000]       N small UDP packets over 1000 flows (for the shrinking-file test)
"""
import random
import struct
import sys

T0 = 1793610000  # 2026-11-02T09:00:00Z, as tests/gen
ROUTER_MAC = bytes.fromhex("00005e000101")
CAM_MAC = bytes.fromhex("0200000a0032")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(a):
    return bytes(int(x) for x in a.split("."))


def udp4(src, dst, sport, dport, payload, src_mac=ROUTER_MAC, dst_mac=CAM_MAC):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, ipv4(src), ipv4(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def udp6(src, dst, sport, dport, payload, src_mac):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack("!IxxxB", len(udp), 17)
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + src + dst
    return bytes.fromhex("333300000001") + src_mac + b"\x86\xdd" + ip + udp


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def add(self, t, frame):
        sec, usec = int(t), int(round((t - int(t)) * 1e6))
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)

    def close(self):
        self.f.close()


def label(text):
    return bytes([len(text)]) + text


def dns_amplify(out, n):
    p = Pcap(out)
    for i in range(n):
        escaped = i % 2 == 1
        fill = 0x01 if escaped else ord("a")
        # Question: 4 labels of 62 octets (253 octets on the wire), unique per response.
        first = b"%05d" % i + bytes([fill]) * 57
        qname = label(first) + b"".join(label(bytes([fill]) * 62) for _ in range(3)) + b"\0"
        header = struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 16 + 500, 0, 0)
        msg = header + qname + struct.pack("!HH", 1, 1)
        q_at = 12
        second_label_at = q_at + 1 + len(first)  # the 3-label suffix of the question
        owner = q_at
        answers = b""
        offset = len(msg)
        for hop in range(16):
            # CNAME owner -> target "hNN" + the question's last three labels (pointer).
            target = label(b"h%02d" % hop) + struct.pack("!H", 0xC000 | second_label_at)
            rr = struct.pack("!HHHIH", 0xC000 | owner, 5, 1, 300, len(target)) + target
            target_at = offset + 12
            answers += rr
            offset += len(rr)
            owner = target_at
        for k in range(500):
            rr = struct.pack("!HHHIH", 0xC000 | owner, 1, 1, 300, 4) + bytes([100, 64, k >> 8, k & 0xFF])
            answers += rr
        p.add(T0 + i * 0.01, udp4("10.20.0.1", "10.20.0.50", 53, 40000 + i % 1000, msg + answers))
    p.close()


def dns_repeat(out, n):
    p = Pcap(out)
    qname = label(b"cam") + label(b"example") + label(b"net") + b"\0"
    for i in range(n):
        msg = struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 1, 0, 0) + qname + struct.pack("!HH", 1, 1)
        msg += struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + bytes([93, 184, 216, 34])
        p.add(T0 + i * 0.5, udp4("10.20.0.1", "10.20.0.50", 53, 40000 + i % 1000, msg))
    p.close()


def mdns_names(out, n):
    p = Pcap(out)
    for i in range(n):
        service = label(b"_http") + label(b"_tcp") + label(b"local") + b"\0"
        instance = b"cam-%06d" % i
        host = label(b"host-%06d" % i) + label(b"local") + b"\0"
        header = struct.pack("!HHHHHH", 0, 0x8400, 0, 3, 0, 0)
        msg = header
        service_at = len(msg)
        ptr_target = label(instance) + struct.pack("!H", 0xC000 | service_at)
        msg += service + struct.pack("!HHIH", 12, 1, 120, len(ptr_target))
        instance_at = len(msg)
        msg += ptr_target
        srv_rdata = struct.pack("!HHH", 0, 0, 80)
        host_at = instance_at + len(ptr_target) + 10 + len(srv_rdata)
        msg += struct.pack("!HHHIH", 0xC000 | instance_at, 33, 0x8001, 120, len(srv_rdata) + len(host)) + srv_rdata + host
        msg += struct.pack("!HHHIH", 0xC000 | host_at, 1, 0x8001, 120, 4) + ipv4("10.20.0.60")
        p.add(T0 + i * 0.05, udp4("10.20.0.60", "224.0.0.251", 5353, 5353, msg,
                                  src_mac=bytes.fromhex("02000a14003c"), dst_mac=bytes.fromhex("01005e0000fb")))
    p.close()


def dhcp_macs(out, n):
    p = Pcap(out)
    for i in range(n):
        mac = bytes([0x00, 0x1B, 0x44]) + struct.pack("!I", i)[1:]
        bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, i, 0, 0x8000, b"\0" * 4, b"\0" * 4,
                            b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"", b"")
        host = b"ipcam-%06d" % i
        options = b"\x63\x82\x53\x63" + b"\x35\x01\x01" + bytes([12, len(host)]) + host + b"\xff"
        frame = udp4("0.0.0.0", "255.255.255.255", 68, 67, bootp + options, src_mac=mac,
                     dst_mac=b"\xff" * 6)
        p.add(T0 + i * 0.001, frame)
    p.close()


def fe80_sources(out, n):
    p = Pcap(out)
    rnd = random.Random(13)
    for i in range(n):
        src = bytes.fromhex("fe80000000000000") + rnd.getrandbits(64).to_bytes(8, "big")
        dst = bytes.fromhex("ff020000000000000000000000000001")
        mac = bytes([0x02]) + rnd.getrandbits(40).to_bytes(5, "big")
        p.add(T0 + i * 0.001, udp6(src, dst, 5000, 6000, b"x" * 8, mac))
    p.close()


def future_stamp(out, n):
    p = Pcap(out)
    for i in range(n):
        p.add(T0 + i, udp4("10.20.0.50", "198.51.100.7", 50000, 9999, b"ping", src_mac=CAM_MAC, dst_mac=ROUTER_MAC))
        if i == n // 2:
            # One record of another flow stamped ten years ahead (2036).
            p.add(T0 + 10 * 365 * 86400, udp4("10.20.0.50", "198.51.100.8", 50001, 9999, b"late",
                                               src_mac=CAM_MAC, dst_mac=ROUTER_MAC))
    p.close()


def bad_stamp(out, _n):
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        length = 12 + len(body)
        return struct.pack("<II", kind, length) + body + struct.pack("<I", length)

    frame = udp4("10.20.0.50", "198.51.100.7", 50000, 9999, b"ping", src_mac=CAM_MAC, dst_mac=ROUTER_MAC)
    with open(out, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 1, 0, 65535)))
        for stamp in (T0 * 10**6, 2**64 - 1, T0 * 10**6 + 1000000):
            f.write(block(6, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame)) + frame))


def big(out, n):
    p = Pcap(out)
    frames = [udp4("10.20.0.50", "198.51.100.%d" % (k % 250 + 1), 50000 + k // 250, 9999, b"y" * 32,
                   src_mac=CAM_MAC, dst_mac=ROUTER_MAC) for k in range(1000)]
    for i in range(n):
        p.add(T0 + i * 0.0001, frames[i % 1000])
    p.close()


ATTACKS = {"dns-amplify": (dns_amplify, 200), "dns-repeat": (dns_repeat, 2000), "mdns-names": (mdns_names, 4000),
           "dhcp-macs": (dhcp_macs, 100000), "fe80-sources": (fe80_sources, 50000),
           "future-stamp": (future_stamp, 600), "bad-stamp": (bad_stamp, 3), "big": (big, 1000000)}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ATTACKS:
        sys.exit(__doc__)
    make, default = ATTACKS[sys.argv[1]]
    make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else default)
