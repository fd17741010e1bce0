#!/usr/bin/perl -w
# The sim runtime's "Minecraft server": a process that answers the real
# Server List Ping (handshake, status request, ping) on the port that
# server.properties names, with the MOTD and max-players it sets and the game
# version the placed manifest names. It refuses to start without eula=true or
# without the launcher jar, as a Fabric server does.
#
# Why Perl, and why so spare: a server start is on the hot path of every
# lifecycle. Measured with `perf stat` on the 2-vCPU development machine:
# `node -e 0` costs 128 ms of CPU, `perl -e 0` 2 ms, and loading modules
# dominates the rest (IO::Socket::INET + IO::Select 29 ms, Socket alone 16 ms,
# warnings.pm 3 ms). So it uses Perl's socket builtins with Linux's constants
# (Socket is loaded only on other systems) and `-w` instead of warnings.pm:
# about 5 ms per start. Perl is on every Debian (perl-base is Essential) and
# every Proxmox VE host (it is written in Perl).
use strict;

my $dir = "$ARGV[0]/srv/minecraft";

sub slurp {
    my ($name) = @_;
    open(my $fh, '<:raw', "$dir/$name") or return undef;
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text // '';
}

my %props;
for my $line (split /\n/, slurp('server.properties') // '') {
    next if $line eq '' || $line =~ /^#/ || index($line, '=') < 0;
    my ($k, $v) = split /=/, $line, 2;
    s/^\s+|\s+$//g for $k, $v;
    $props{$k} = $v;
}
if ((slurp('eula.txt') // '') !~ /^eula=true$/m) {
    print STDERR "You need to agree to the EULA in order to run the server.\n";
    exit 1;
}
# Started the way a Fabric server is: through its launcher jar, which must be in place.
if (!-r "$dir/fabric-server-launch.jar") {
    print STDERR "Error: Unable to access jarfile fabric-server-launch.jar\n";
    exit 1;
}
# The manifest is JSON written by the agent (JSON.stringify); perl-base has no
# JSON parser, and only the top-level "game" string is needed.
my ($game) = (slurp('.zlh/manifest.json') // '') =~ /"game"\s*:\s*"((?:[^"\\]|\\.)*)"/;

sub json_string {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord($1))/ge;
    return "\"$s\"";
}

my $port = $props{'server-port'} // 25565;
my $max_players = ($props{'max-players'} // 20) + 0;
# $game is already JSON-escaped text: it was cut out of a JSON string as is.
my $status = sprintf('{"version":{"name":%s,"protocol":767},"players":{"max":%d,"online":0,"sample":[]},'
      . '"description":{"text":%s},"enforcesSecureChat":false}',
    defined $game ? "\"$game\"" : '"unknown"', $max_players, json_string($props{motd} // 'A Minecraft Server'));

sub varint {
    my ($n) = @_;
    my $out = '';
    do {
        my $b = $n & 0x7f;
        $n >>= 7;
        $b |= 0x80 if $n;
        $out .= chr($b);
    } while ($n);
    return $out;
}

# (value, size) of the VarInt at $off, () if incomplete; dies if longer than 5 bytes.
sub read_varint {
    my ($buf, $off) = @_;
    my $result = 0;
    for my $i (0 .. 4) {
        return () if $off + $i >= length($buf);
        my $b = ord(substr($buf, $off + $i, 1));
        $result |= ($b & 0x7f) << (7 * $i);
        return ($result, $i + 1) unless $b & 0x80;
    }
    die "varint too long\n";
}

sub packet {
    my ($id, $payload) = @_;
    my $body = varint($id) . $payload;
    return varint(length $body) . $body;
}

# AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR and a sockaddr_in for 127.0.0.1:$port.
my ($af_inet, $sock_stream, $sol_socket, $so_reuseaddr, $address);
if ($^O eq 'linux') {
    ($af_inet, $sock_stream, $sol_socket, $so_reuseaddr) = (2, 1, 1, 2);
    $address = pack('S n C4 x8', $af_inet, $port, 127, 0, 0, 1);
} else {
    require Socket;
    ($af_inet, $sock_stream, $sol_socket, $so_reuseaddr) =
      (Socket::AF_INET(), Socket::SOCK_STREAM(), Socket::SOL_SOCKET(), Socket::SO_REUSEADDR());
    $address = Socket::pack_sockaddr_in($port, Socket::inet_aton('127.0.0.1'));
}
my $listener;
unless (socket($listener, $af_inet, $sock_stream, 0)
    && setsockopt($listener, $sol_socket, $so_reuseaddr, pack('l', 1))
    && bind($listener, $address)
    && listen($listener, 128)) {
    print STDERR "listen on 127.0.0.1:$port failed: $!\n";
    exit 1;
}
$SIG{$_} = sub { exit 0 } for qw(TERM INT);
$SIG{PIPE} = 'IGNORE';

my %conn;    # fileno -> { sock, buf, state, seen }

sub drop {
    my ($c) = @_;
    delete $conn{ fileno $c->{sock} };
    close $c->{sock};
}

# One packet from a client; returns false when the connection is done.
sub handle_packet {
    my ($c, $body) = @_;
    my ($id, $size) = read_varint($body, 0);
    return 0 unless defined $id;
    if ($c->{state} == 0 && $id == 0) {
        $c->{state} = 1;    # handshake; only the status state is served
        return 1;
    }
    if ($c->{state} == 1 && $id == 0) {
        syswrite($c->{sock}, packet(0, varint(length $status) . $status));
        return 1;
    }
    if ($c->{state} == 1 && $id == 1) {
        syswrite($c->{sock}, packet(1, substr($body, $size)));
    }
    return 0;
}

while (1) {
    my $want = '';
    vec($want, fileno($_), 1) = 1 for $listener, map { $_->{sock} } values %conn;
    my $ready = $want;
    if (select($ready, undef, undef, 1) > 0) {
        if (vec($ready, fileno($listener), 1) && accept(my $client, $listener)) {
            $conn{ fileno $client } = { sock => $client, buf => '', state => 0, seen => time };
        }
        for my $c (grep { vec($ready, fileno($_->{sock}), 1) } values %conn) {
            my $n = sysread($c->{sock}, my $chunk, 4096);
            if (!$n) { drop($c); next; }
            $c->{buf} .= $chunk;
            $c->{seen} = time;
            my $open = eval {
                while (1) {
                    my ($len, $size) = read_varint($c->{buf}, 0);
                    last unless defined $len && length($c->{buf}) >= $size + $len;
                    my $body = substr($c->{buf}, $size, $len);
                    substr($c->{buf}, 0, $size + $len) = '';
                    return 0 unless handle_packet($c, $body);
                }
                1;
            };
            drop($c) unless $open;
        }
    }
    # A client silent for 10 s is dropped, as the server's read timeout would.
    for my $c (values %conn) { drop($c) if time - $c->{seen} > 10 }
}
