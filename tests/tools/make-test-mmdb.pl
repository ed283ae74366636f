#!/usr/bin/perl
# make-test-mmdb.pl SPEC OUTDIR
#
# Builds tiny GeoIP databases for tests, offline, with MaxMind's own writer
# (Debian: libmaxmind-db-writer-perl). SPEC lines, '#' comments allowed:
#   CIDR  CC  ASN  ORG words...
# CC '-' = no country entry; ASN '-' = no ASN entry (ORG then omitted).
# Writes into OUTDIR:
#   GeoLite2-Country.mmdb  { country => { iso_code, names => { en } } }
#   country.mmdb           { country_code }  (ip-location-db schema)
#   GeoLite2-ASN.mmdb      { autonomous_system_number, autonomous_system_organization }
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: $0 SPEC OUTDIR\n" unless @ARGV == 2;
my ( $spec, $outdir ) = @ARGV;

my %type = (
    country                        => 'map',
    names                          => 'map',
    iso_code                       => 'utf8_string',
    en                             => 'utf8_string',
    country_code                   => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

sub new_tree {
    my ($db_type) = @_;
    return MaxMind::DB::Writer::Tree->new(
        database_type         => $db_type,
        description           => { en => "egresswatch test data ($db_type)" },
        languages             => ['en'],
        ip_version            => 6,
        record_size           => 24,
        # Tests use documentation ranges (TEST-NET, 2001:db8::/32), which
        # the writer would otherwise drop as reserved.
        remove_reserved_networks => 0,
        # IPv4 networks go to ::/96; alias ::ffff:0:0/96 etc. like MaxMind.
        alias_ipv6_to_ipv4    => 1,
        map_key_type_callback => sub { $type{ $_[0] } },
    );
}

my %trees = (
    'GeoLite2-Country.mmdb' => new_tree('GeoLite2-Country'),
    # Same database_type string as ip-location-db's combined country mmdb.
    'country.mmdb'          => new_tree('country ipvAll'),
    'GeoLite2-ASN.mmdb'     => new_tree('GeoLite2-ASN'),
);

open my $in, '<:encoding(UTF-8)', $spec or die "$0: $spec: $!\n";
while ( my $line = <$in> ) {
    $line =~ s/#.*//;
    my ( $cidr, $cc, $asn, @org ) = split ' ', $line;
    next unless defined $cidr;
    die "$spec:$.: expected 'CIDR CC ASN ORG...'\n"
        unless defined $asn
        && $cidr =~ m{^[0-9a-fA-F.:]+/\d+$}
        && ( $cc eq '-' || $cc =~ /^[A-Z]{2}$/ )
        && ( $asn eq '-' || $asn =~ /^\d+$/ );

    eval { insert( $cidr, $cc, $asn, @org ); 1 } or die "$spec:$.: $@";
}
close $in;

-d $outdir or mkdir $outdir or die "$0: $outdir: $!\n";
for my $name ( sort keys %trees ) {
    open my $fh, '>:raw', "$outdir/$name" or die "$0: $outdir/$name: $!\n";
    $trees{$name}->write_tree($fh);
    close $fh or die "$0: $outdir/$name: $!\n";
}

sub insert {
    my ( $cidr, $cc, $asn, @org ) = @_;
    if ( $cc ne '-' ) {
        $trees{'GeoLite2-Country.mmdb'}->insert_network( $cidr,
            { country => { iso_code => $cc, names => { en => $cc } } } );
        $trees{'country.mmdb'}->insert_network( $cidr, { country_code => $cc } );
    }
    if ( $asn ne '-' ) {
        my %data = ( autonomous_system_number => 0 + $asn );
        $data{autonomous_system_organization} = "@org" if @org;
        $trees{'GeoLite2-ASN.mmdb'}->insert_network( $cidr, \%data );
    }
}
