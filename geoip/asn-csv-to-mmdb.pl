#!/usr/bin/perl
# asn-csv-to-mmdb.pl OUT.mmdb FILE.csv...
#
# Turns ip-location-db's ASN CSV files (no header; columns
#   ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization
# with inclusive ranges and RFC 4180 quoting of the organisation) into an mmdb
# with the GeoLite2-ASN schema, so egresswatch reads it exactly like MaxMind's
# own ASN database.
#
# MMDB_BUILD_EPOCH (seconds since 1970, UTC), if set, is the database's build
# date: build-databases.sh gives the data's own date, so that the daemon, its
# logs and the report date the data, not the day it was converted.
#
# Why this tool: Debian ships MaxMind's own reference writer
# (libmaxmind-db-writer-perl), so no third-party converter is needed.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;
use Socket qw(inet_pton AF_INET AF_INET6);

die "usage: $0 OUT.mmdb FILE.csv...\n" unless @ARGV >= 2;
my ( $out, @csv ) = @ARGV;

my %type = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    database_type         => 'GeoLite2-ASN',
    description           => { en => 'ASN data from ip-location-db (RouteViews, NRO, DB-IP; CC BY 4.0)' },
    languages             => ['en'],
    ip_version            => 6,
    record_size           => 28,
    # IPv4 data lives at ::/96; like MaxMind, also make ::ffff:0:0/96,
    # 2001::/32 (Teredo) and 2002::/16 (6to4) point there.
    alias_ipv6_to_ipv4    => 1,
    map_key_type_callback => sub { $type{ $_[0] } },
);

# Ranges inside the aliased IPv6 blocks cannot hold their own data.
my @aliased = map { [ map { inet_pton( AF_INET6, $_ ) } @$_ ] } (
    [ '::ffff:0:0', '::ffff:ffff:ffff' ],
    [ '2001::',     '2001:0:ffff:ffff:ffff:ffff:ffff:ffff' ],
    [ '2002::',     '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff' ],
);

my ( $rows, $skipped ) = ( 0, 0 );
for my $file (@csv) {
    open my $fh, '<:encoding(UTF-8)', $file or die "$0: $file: $!\n";
    while ( my $line = <$fh> ) {
        $line =~ s/\r?\n\z//;
        next if $line eq '';
        my $why = insert_row($line);
        if ($why) {
            warn "$file:$.: skipped ($why): $line\n";
            $skipped++;
        }
        else { $rows++ }
    }
    close $fh;
}

# An empty result means the input format changed; don't ship an empty DB.
die "$0: no usable rows in @csv\n" unless $rows;

if ( defined $ENV{MMDB_BUILD_EPOCH} && $ENV{MMDB_BUILD_EPOCH} ne '' ) {
    $ENV{MMDB_BUILD_EPOCH} =~ /\A[0-9]+\z/ or die "$0: MMDB_BUILD_EPOCH is not a number of seconds\n";
    $tree->_set_build_epoch( $ENV{MMDB_BUILD_EPOCH} );
}
open my $fh, '>:raw', $out or die "$0: $out: $!\n";
$tree->write_tree($fh);
close $fh or die "$0: $out: $!\n";
print STDERR "$0: wrote $out: $rows ranges, $skipped skipped\n";

# Returns an error string for a malformed row, or '' once inserted.
sub insert_row {
    my ($line) = @_;
    # Only the organisation may be quoted (it contains commas).
    my ( $start, $end, $asn, $org ) = $line =~ /^([^,]+),([^,]+),(\d+),(.*)\z/
        or return 'bad columns';
    if ( $org =~ /^"/ ) {
        $org =~ /^"((?:[^"]|"")*)"\z/ or return 'bad quoting';
        ( $org = $1 ) =~ s/""/"/g;
    }
    return 'ASN out of range' if $asn > 0xFFFFFFFF;

    my $family = $start =~ /:/ ? AF_INET6 : AF_INET;
    my ( $s, $e ) = map { inet_pton( $family, $_ ) } $start, $end;
    return 'bad address' unless defined $s && defined $e;
    return 'start after end' if $s gt $e;
    if ( $family == AF_INET6 ) {
        for (@aliased) { return 'inside IPv4-aliased block' if $s le $_->[1] && $e ge $_->[0] }
    }

    my %data = ( autonomous_system_number => 0 + $asn );
    $data{autonomous_system_organization} = $org if $org ne '';
    $tree->insert_range( $start, $end, \%data );
    return '';
}
