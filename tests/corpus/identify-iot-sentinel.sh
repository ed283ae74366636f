#!/usr/bin/env bash
# Device identification on the IoT Sentinel captures (cameras among plugs,
# hubs and sensors): for each capture's device (its MAC is listed in
# _device_macs.txt), the kind and vendor egresswatchd concludes, against the
# truth from the capture's name. Prints the confusion table; fails on any
# camera called a non-camera or the reverse. Skipped when the corpus is absent.
set -u
daemon=$1 geoip=$2 corpus=$3 out=$4
dir="$corpus/iot_sentinel"
[ -f "$dir/_device_macs.txt" ] || { echo "SKIP: no IoT Sentinel captures at $dir"; exit 77; }
mkdir -p "$out"
# Cameras whose capture carries nothing that says camera: a DHCP lease without
# a host name (vendor class "udhcp 1.12.1"), an IPv6 router solicitation and a
# TFTP fetch of /update.sh, from an ASSMANN (Ednet's parent) MAC that is also on
# cables and adapters. Only an inventory entry can name them.
unidentifiable=" EdnetCam1 EdnetCam2 "
tp=0 fn=0 fp=0 tn=0 unexpected=0
printf '%-22s %-7s %-7s %-45s %s\n' device truth kind vendor evidence
while read -r device file mac; do
    [ -f "$dir/${device}_$file" ] || continue
    store="$out/$device.db"
    rm -f "$store" "$store-wal" "$store-shm"
    "$daemon" -r "$dir/${device}_$file" -d "$store" --geoip-dir "$geoip" -q || { echo "FAIL: $device: egresswatchd failed"; exit 1; }
    truth=other; [[ "$device" == *Cam* ]] && truth=camera
    # The device may have had several addresses (setup network, then home network): take its strongest verdict.
    row=$(sqlite3 -separator $'\t' "$store" "SELECT kind, coalesce(vendor, '-'), identified_by FROM devices WHERE mac = '$mac'
              ORDER BY CASE kind WHEN 'camera' THEN 0 WHEN 'nvr' THEN 1 WHEN 'iot' THEN 2 ELSE 3 END,
                       length(identified_by) DESC LIMIT 1")
    kind=$(cut -f1 <<< "$row"); vendor=$(cut -f2 <<< "$row"); evidence=$(cut -f3 <<< "$row")
    [ -n "$kind" ] || kind=unseen
    camera_like=other; [[ "$kind" == camera || "$kind" == nvr ]] && camera_like=camera
    case "$truth/$camera_like" in
        camera/camera) tp=$((tp + 1)) ;; camera/other) fn=$((fn + 1)) ;;
        other/camera) fp=$((fp + 1)) ;; other/other) tn=$((tn + 1)) ;;
    esac
    known=no; [[ "$unidentifiable" == *" $device "* ]] && known=yes
    if { [ "$truth/$camera_like" = camera/other ] && [ $known = no ]; } ||
       [ "$truth/$camera_like" = other/camera ] || [ "$truth/$camera_like/$known" = camera/camera/yes ]; then
        echo "UNEXPECTED: $device is $truth but came out $kind"; unexpected=$((unexpected + 1))
    fi
    printf '%-22s %-7s %-7s %-45s %.150s\n' "$device" "$truth" "$kind" "${vendor:0:45}" "$evidence"
done < "$dir/_device_macs.txt"
echo
echo "confusion (camera vs not): cameras found $tp, cameras missed $fn, non-cameras called cameras $fp, non-cameras right $tn"
echo "missed as expected (no identifying traffic):$unidentifiable"
[ "$unexpected" -eq 0 ]
