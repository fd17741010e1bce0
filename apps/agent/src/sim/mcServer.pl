#!/usr/bin/perl -w
# The sim runtime's "Minecraft server": a process that answers the real
# Server List Ping (handshake, status request, ping) on the port that
# server.properties names, with the MOTD and max-players it sets and the game
# version the placed manifest names. It refuses to start without eula=true,
# and wherever the real launcher of its type (Fabric's, Quilt's,
# Paperclip's for Paper and Purpur, the JVM's for Mojang's jar) would need
# the network or refuses (see below).
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

# A container's state is this process, so it records itself, as LXC's monitor
# does: under an exclusive lock held for its whole life, it writes its own pid
# (atomically) before anything else. A second start of the same container
# refuses like `pct start` ("CT <vmid> already running", exit 3), and an agent
# killed between spawning it and anything else cannot lose track of it.
# flock(LOCK_EX | LOCK_NB) = 6 on Linux (numbers, so Fcntl is not loaded).
my $ct = "$ARGV[0]/..";
open(my $ct_lock, '>>', "$ct/lock") or die "cannot open $ct/lock: $!\n";
unless (flock($ct_lock, 6)) {
    my ($vmid) = $ct =~ m{(\d+)/rootfs/\.\.$};
    print STDERR "CT " . ($vmid // '?') . " already running\n";
    exit 3;
}
{
    open(my $fh, '>', "$ct/pid.$$.tmp") or die "cannot write $ct/pid: $!\n";
    print $fh $$;
    close $fh;
    rename("$ct/pid.$$.tmp", "$ct/pid") or die "cannot write $ct/pid: $!\n";
}
# An unprivileged container's processes run as its root identity on the host
# (ARGV[2] = "uid:gid", given when the agent is root): from here on, the
# server writes its world and logs as the container's root, never as host root
# (the lock above stays held through the open descriptor).
# It works in its rootfs by relative paths from here on (entered before the
# drop: the host directories above it may be closed to the container's root).
chdir $ARGV[0] or die "cannot enter $ARGV[0]: $!\n";
$dir = "srv/minecraft";
if (defined $ARGV[2] && $ARGV[2] =~ /^(\d+):(\d+)$/) {
    my ($uid, $gid) = ($1, $2);
    # A container's processes resolve every path (a customer's absolute or
    # `../..` link included) inside the container's own tree, never the host's:
    # so does this one (chroot before the drop; localtime once before it, for
    # the zone, and zlib before it, for deflated jars: inside, only what is
    # loaded is at hand).
    my @zone = localtime;
    eval { require Compress::Raw::Zlib; 1 };
    eval { require Digest::SHA; 1 };    # for Paperclip's sha256 checks
    chroot('.') && chdir('/') or die "cannot enter $ARGV[0] as its root: $!\n";
    $( = $gid;
    $) = "$gid $gid";
    ($<, $>) = ($uid, $uid);
    die "cannot drop to $uid:$gid\n" unless $< == $uid && $> == $uid && $( == $gid;
}

sub slurp {
    my ($name) = @_;
    open(my $fh, '<:raw', "$dir/$name") or return undef;
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text // '';
}

# server.properties is read as java.util.Properties#load reads it (the real
# server does): a line ending in an odd number of backslashes continues on the
# next one, the key ends at the first unescaped '=', ':' or blank, and \t \n
# \r \f \uXXXX are unescaped (any other escaped character stands for itself).
sub unescape_property {
    my ($s) = @_;
    my %named = (t => "\t", n => "\n", r => "\r", f => "\f");
    $s =~ s{\\(?:u([0-9A-Fa-f]{4})|(.))}{defined $1 ? chr(hex $1) : ($named{$2} // $2)}gse;
    return $s;
}
my %props;
my @lines = split /\r\n|\r|\n/, slurp('server.properties') // '';
while (@lines) {
    my $line = shift @lines;
    $line =~ s/^[ \t\f]+//;
    next if $line eq '' || $line =~ /^[#!]/;
    while ($line =~ /(\\+)$/ && length($1) % 2 == 1 && @lines) {
        chop $line;
        (my $next = shift @lines) =~ s/^[ \t\f]+//;
        $line .= $next;
    }
    my ($k, $v) = $line =~ /^((?:[^\\=: \t\f]|\\.)*)[ \t\f]*[=:]?[ \t\f]*(.*)$/s;
    $props{unescape_property($k)} = unescape_property($v);
}
# The game unit sends the game's stderr to /run/zlh-server.stderr,
# truncated at each start (container/gameUnit.ts); so does this one.
mkdir 'run';
open(STDERR, '>', 'run/zlh-server.stderr');
# A crash on demand, for tests (the stand-in's own knob, as ZLH_SIM_FAULTS is
# the runtime's): srv/minecraft/.sim-crash says how, on its first line, and
# what was thrown, on the rest. `jvm` (read at start): the JVM refuses the
# main class before the game runs (no log written: latest.log stays the last
# run's), printing to stderr as java does, exit 1. `tick` (read while it runs,
# so a running server can be made to crash): it dies as vanilla does on an
# exception in the server tick loop: the error logged, a crash report written
# to crash-reports/, its path logged, exit 1; the knob is spent by that crash
# (removed as it dies), so the heal's start comes up: one crash, not a loop.
my ($crash_mode, $crash_text) = (slurp('.sim-crash') // '') =~ /^(jvm|tick)\n(.*)$/s;
if (($crash_mode // '') eq 'jvm') {
    print STDERR $crash_text;
    exit 1;
}
# Like a real server, it keeps its log in logs/latest.log inside the
# container (replaced on every start), so a refusal can be read there.
mkdir "$dir/logs";
my $log;
open($log, '>', "$dir/logs/latest.log") or undef $log;
if ($log) { my $old = select($log); $| = 1; select($old) }
sub logline {
    my ($level, $msg) = @_;
    my @t = localtime;
    printf $log "[%02d:%02d:%02d] [main/%s]: %s\n", @t[2, 1, 0], $level, $msg if $log;
}
sub refuse {
    my ($msg) = @_;
    logline('ERROR', $msg);
    print STDERR "$msg\n";
    exit 1;
}

# ---- What the container's unit runs: `java -jar <jar> nogui`, with the jar
# and the server type the manifest names (its `launch` and `type`, which
# placement copies into its record, .zlh/manifest.json: the sim has no unit,
# so it reads them there; a record from before types is Fabric's launcher).
# The record is JSON written by the agent (JSON.stringify, its header before
# its files); perl-base has no JSON parser, and only top-level strings are needed.
my $record = slurp('.zlh/manifest.json') // '';
my ($type) = $record =~ /"type"\s*:\s*"([a-z]+)"/;
my ($jar) = $record =~ /"jar"\s*:\s*"([A-Za-z0-9][A-Za-z0-9._-]*\.jar)"/;
# A type started from args files instead (NeoForge: `java @user_jvm_args.txt @.../unix_args.txt nogui`).
my ($arg_list) = $record =~ /"argFiles"\s*:\s*\[([^\]]*)\]/;
my @arg_files = defined $arg_list ? ($arg_list =~ /"([A-Za-z0-9][A-Za-z0-9._+\/-]*\.txt)"/g) : ();
@arg_files = grep { !m{(^|/)\.\.?(/|$)} } @arg_files;
$type //= 'fabric';
$jar //= 'fabric-server-launch.jar';
# The JVM's own first check, whatever the jar.
refuse("Error: Unable to access jarfile $jar") unless @arg_files || -r "$dir/$jar";

# One entry of a zip file (stored, or deflated when zlib is at hand), undef if absent; dies on a corrupt zip.
sub zip_entry {
    my ($path, $want) = @_;
    open(my $fh, '<:raw', $path) or die "cannot read $path: $!\n";
    local $/;
    my $zip = <$fh>;
    close $fh;
    my $end = rindex($zip, "PK\x05\x06");
    die "zip END header not found\n" if $end < 0 || length($zip) < $end + 22;
    my ($count, $cd_off) = unpack('x10 v x4 V', substr($zip, $end, 22));
    my $p = $cd_off;
    for (1 .. $count) {
        die "invalid CEN header\n" unless substr($zip, $p, 4) eq "PK\x01\x02";
        my ($method, $csize, $nlen, $xlen, $clen, $loff) = unpack('x10 v x8 V x4 v v v x8 V', substr($zip, $p, 46));
        my $name = substr($zip, $p + 46, $nlen);
        $p += 46 + $nlen + $xlen + $clen;
        next unless $name eq $want;
        die "invalid LOC header\n" unless substr($zip, $loff, 4) eq "PK\x03\x04";
        my ($lnlen, $lxlen) = unpack('x26 v v', substr($zip, $loff, 30));
        my $data = substr($zip, $loff + 30 + $lnlen + $lxlen, $csize);
        return $data if $method == 0;
        die "unsupported compression method $method\n" unless $method == 8;
        require Compress::Raw::Zlib;
        my ($inflate) = Compress::Raw::Zlib::Inflate->new(-WindowBits => -Compress::Raw::Zlib::MAX_WBITS());
        my $out;
        $inflate->inflate($data, $out);
        return $out;
    }
    return undef;
}

if ($type eq 'vanilla') {
    # ---- What `java -jar server.jar nogui` decides (the TypeScript twin is
    # packages/artifacts/src/vanilla/launcherDecision.ts): the JVM's checks of
    # an executable jar, with its wording. Mojang's jar needs nothing else (a
    # bundler that unpacks the game from inside itself), and it loads no mods.
    my $mf = eval { zip_entry("$dir/$jar", 'META-INF/MANIFEST.MF') };
    refuse("Error: Invalid or corrupt jarfile $jar") if $@;
    refuse("no main manifest attribute, in $jar") unless ($mf // '') =~ /^Main-Class: *\S/m;
} elsif ($type eq 'paper' || $type eq 'purpur') {
    # ---- What `java -jar paper.jar nogui` (or purpur.jar: a Paper fork, the
    # same Paperclip) decides: the JVM's checks, then
    # Paperclip's (PaperMC/Paperclip Paperclip.setupClasspath; the TypeScript
    # twin is packages/artifacts/src/paper/launcherDecision.ts). Where it
    # would download Mojang's jar (cache/<file> missing or its sha256 not the
    # download context's), this one refuses; the rest is local (patch inputs
    # and patches, the listed versions and libraries, each with its sha256).
    my $ours = "$dir/$jar";
    my $mf = eval { zip_entry($ours, 'META-INF/MANIFEST.MF') };
    refuse("Error: Invalid or corrupt jarfile $jar") if $@;
    refuse("no main manifest attribute, in $jar") unless ($mf // '') =~ /^Main-Class: *\S/m;
    require Digest::SHA;
    my $sha = sub { Digest::SHA::sha256_hex($_[0] // '') };
    my $entry = sub { my ($zip, $name) = @_; my $e = eval { zip_entry($zip, $name) }; refuse("Paperclip cannot read $zip: $@") if $@; $e };
    my $ctx = $entry->($ours, 'META-INF/download-context');
    my @patches = grep { !/^\s*$/ && !/^#/ } split /\r\n|\r|\n/, ($entry->($ours, 'META-INF/patches.list') // '');
    my $has_ctx = defined $ctx && $ctx =~ /\S/;
    refuse("patches.list file found without a corresponding original-url file") if @patches && !$has_ctx;
    my $original;
    if ($has_ctx) {
        my @ctx = split /\t/, $ctx, -1;
        refuse("Invalid download-context line: $ctx") unless @ctx == 3;
        my $cached = slurp("cache/$ctx[2]");
        refuse("Downloading $ctx[2]: cache/$ctx[2] is missing or its sha256 differs and this first boot has no network")
          unless defined $cached && $sha->($cached) eq lc $ctx[0];
        $original = "$dir/cache/$ctx[2]";
    }
    my %patched;
    for my $line (@patches) {
        my @p = split /\t/, $line, -1;
        refuse("Invalid patch data line: $line") unless @p == 7;
        my ($loc, $in_hash, $patch_hash, $out_hash, $in, $patch, $out) = @p;
        $patched{"$loc/$out"} = 1;
        my $done = slurp("$loc/$out");
        next if defined $done && $sha->($done) eq lc $out_hash;
        my $input = $entry->($original, "META-INF/$loc/$in");
        refuse("Input file not found: /META-INF/$loc/$in") unless defined $input;
        refuse("Hash check of input file failed for /META-INF/$loc/$in") unless $sha->($input) eq lc $in_hash;
        my $bytes = $entry->($ours, "META-INF/$loc/$patch");
        refuse("Patch file not found: /META-INF/$loc/$patch") unless defined $bytes;
        refuse("Hash check of patch file failed for /META-INF/$loc/$patch") unless $sha->($bytes) eq lc $patch_hash;
    }
    for my $list ('versions', 'libraries') {
        my $body = $entry->($ours, "META-INF/$list.list");
        next unless defined $body;
        for my $line (split /\r\n|\r|\n/, $body) {
            my @e = split /\t/, $line, -1;
            refuse("Malformed library entry: $line") unless @e == 3;
            next if $patched{"$list/$e[2]"};
            my $placed = slurp("$list/$e[2]");
            next if defined $placed && $sha->($placed) eq lc $e[0];
            my $inside = $entry->($ours, "META-INF/$list/$e[2]");
            $inside = $entry->($original, "META-INF/$list/$e[2]") if !defined $inside && defined $original;
            refuse("$e[2] not found in our jar or in the original jar") unless defined $inside;
            refuse("Hash check failed for extract filed $list/$e[2]") unless $sha->($inside) eq lc $e[0];
        }
    }
    my $main = $entry->($ours, 'META-INF/main-class') // '';
    $main =~ s/\s+$//;
    refuse("Failed to read main-class file") if $main eq '';
    logline('INFO', "Starting $main");
} elsif (@arg_files) {
    # ---- What `java @<args files> nogui` decides before NeoForge runs (the
    # TypeScript twin is packages/artifacts/src/neoforge/launchDecision.ts):
    # each args file opens; the main class (the first token neither an option
    # nor an option's value) is in a jar of the module or class path; every
    # module path, class path and -DlegacyClassPath= entry is in place.
    my @tokens;
    for my $file (@arg_files) {
        my $text = slurp($file);
        refuse("Error: could not open `$file'") unless defined $text;
        $text =~ s/(^|\s)#[^\n]*/$1/g;
        while ($text =~ /"([^"]*)"|'([^']*)'|(\S+)/g) { push @tokens, $1 // $2 // $3 }
    }
    my %with_value = map { $_ => 1 } qw(-p --module-path -cp -classpath --class-path --add-modules --add-opens --add-exports --add-reads --upgrade-module-path --patch-module);
    my (@paths, $main);
    for (my $i = 0; $i < @tokens; $i++) {
        my $t = $tokens[$i];
        if ($with_value{$t}) {
            my $v = $tokens[++$i] // '';
            push @paths, grep { length } split /:/, $v if $t =~ /^(?:-p|--module-path|-cp|-classpath|--class-path)$/;
            next;
        }
        if ($t =~ /^-DlegacyClassPath=(.*)$/) { push @paths, grep { length } split /:/, $1; next }
        next if $t =~ /^-/;
        $main = $t;
        last;
    }
    refuse("Error: no main class named in the args files") unless defined $main;
    (my $class_entry = $main) =~ s{\.}{/}g;
    $class_entry .= '.class';
    my ($found, @missing) = (0);
    for my $p (@paths) {
        unless (-f "$dir/$p") { push @missing, $p; next }
        $found ||= defined(eval { zip_entry("$dir/$p", $class_entry) });
    }
    refuse("Error: Could not find or load main class $main\nCaused by: java.lang.ClassNotFoundException: $main") unless $found;
    refuse("a library the launch names is missing: $missing[0]") if @missing;
    logline('INFO', "Starting $main (NeoForge)");
} elsif ($type eq 'fabric') {
    # ---- What `java -jar fabric-server-launch.jar nogui` decides before the game
    # starts (FabricMC/fabric-installer ServerLauncher.initialise; the TypeScript
    # twin is packages/artifacts/src/fabric/launcherDecision.ts). Where the real
    # launcher would go to the network (download the vanilla jar, or "reinstall":
    # query Fabric meta and download every library), this one refuses: a first
    # boot must find a complete install.
    my $launcher = "$dir/$jar";
    my $install = eval { zip_entry($launcher, 'install.properties') };
    refuse("Error: Invalid or corrupt jarfile fabric-server-launch.jar ($@)") if $@;
    refuse("Jar does not contain unattended install.properties file") unless defined $install;
    my %install;
    for my $line (split /\r?\n/, $install) {
        next if $line =~ /^\s*(?:[#!]|$)/;
        $install{$1} = $2 if $line =~ /^\s*([^=:\s]+)\s*[=:\s]\s*(.*)$/;
    }
    my ($loader, $game_version) = @install{ 'fabric-loader-version', 'game-version' };
    refuse("no loader-version specified in install.properties") unless defined $loader;
    refuse("no game-version specified in install.properties") unless defined $game_version;
    my ($major, $minor) = map { /^(\d+)/ ? $1 : 0 } (split /[.+-]/, $loader)[0, 1];
    refuse("Fabric loader 0.12 or higher is required for unattended server installs. Please use a newer fabric loader version, or the full installer.")
      if $major == 0 && ($minor // 0) < 12;

    my $data_dir = "$dir/.fabric/server";
    refuse("Downloading Minecraft server: .fabric/server/$game_version-server.jar is missing and this first boot has no network")
      unless -e "$data_dir/$game_version-server.jar";
    my $launch_jar = "$data_dir/fabric-loader-server-$loader-minecraft-$game_version.jar";
    refuse("Installing Fabric from the network: .fabric/server/fabric-loader-server-$loader-minecraft-$game_version.jar is missing and this first boot has no network")
      unless -e $launch_jar;
    my $mf = eval { zip_entry($launch_jar, 'META-INF/MANIFEST.MF') } // '';
    refuse("Failed to analyze or verify existing install: $@; reinstalling needs the network") if $@;
    my (%attr, $last);
    for my $line (split /\r\n|\r|\n/, $mf) {
        last if $line eq '';
        if ($line =~ /^ (.*)$/ && defined $last) { $attr{$last} .= $1; next }
        ($last, my $value) = $line =~ /^([^:]+): (.*)$/ or next;
        $attr{$last} = $value;
    }
    refuse("Failed to analyze or verify existing install: Jar does not have a Main-Class attribute; reinstalling needs the network")
      unless $attr{'Main-Class'};
    for my $entry (split ' ', $attr{'Class-Path'} // '') {
        (my $file = "$data_dir/$entry") =~ s/%([0-9A-Fa-f]{2})/chr(hex $1)/ge;
        refuse("Detected incomplete install, reinstalling: $entry is missing and this first boot has no network") unless -e $file;
    }
    logline('INFO', "Loading Minecraft $game_version with Fabric Loader $loader");

    # ---- Fabric Loader's own check before the game starts: every mod's
    # fabric.mod.json `depends` must be met, or it refuses with "Incompatible mods
    # found!" (fabric-loader's exception.incompatible) and the server never
    # starts. Checked here: `fabricloader` (>=, or an exact version) and
    # `minecraft` (~x.y.z, >=, or exact), the two a server change can break.
    # Stand-in jars without a fabric.mod.json are not checked.
    sub version_cmp {
        my ($a, $b) = @_;
        my @a = map { /^(\d+)/ ? $1 : 0 } split /[.+-]/, $a;
        my @b = map { /^(\d+)/ ? $1 : 0 } split /[.+-]/, $b;
        for my $i (0 .. ($#a > $#b ? $#a : $#b)) {
            my $d = ($a[$i] // 0) <=> ($b[$i] // 0);
            return $d if $d;
        }
        return 0;
    }
    sub satisfies {
        my ($have, $range) = @_;
        return 1 if $range eq '*';
        return version_cmp($have, $1) >= 0 if $range =~ /^>=\s*(\S+)$/;
        if ($range =~ /^~\s*(\d+)\.(\d+)(?:\.(\d+))?$/) {
            my ($maj, $min) = ($1, $2);
            return version_cmp($have, join('.', $1, $2, $3 // 0)) >= 0 && $have =~ /^\Q$maj.$min\E(?:\.|$)/;
        }
        return version_cmp($have, $range) == 0;
    }
    my @incompatible;
    my $mods;
    opendir($mods, "$dir/mods") or undef $mods;
    for my $jar (sort grep { /\.jar$/ } ($mods ? readdir($mods) : ())) {
        my $json = eval { zip_entry("$dir/mods/$jar", 'fabric.mod.json') };
        next unless defined $json;
        my ($id) = $json =~ /"id"\s*:\s*"([^"]+)"/;
        my ($version) = $json =~ /"version"\s*:\s*"([^"]+)"/;
        my ($name) = $json =~ /"name"\s*:\s*"([^"]+)"/;
        my ($depends) = $json =~ /"depends"\s*:\s*\{([^}]*)\}/;
        for my $dep (['fabricloader', 'Fabric Loader', $loader], ['minecraft', 'Minecraft', $game_version]) {
            my ($dep_id, $dep_name, $have) = @$dep;
            my ($range) = ($depends // '') =~ /"\Q$dep_id\E"\s*:\s*"([^"]+)"/;
            next if !defined $range || satisfies($have, $range);
            my $wanted = $range =~ /^>=\s*(\S+)$/ ? "version $1 or later" : "version $range";
            push @incompatible, sprintf("Mod '%s' (%s) %s requires %s of '%s' (%s), but only the wrong version is present: %s!",
                $name // $id // $jar, $id // $jar, $version // '?', $wanted, $dep_name, $dep_id, $have);
        }
    }
    closedir($mods) if $mods;
    if (@incompatible) {
        logline('ERROR', "Incompatible mods found!");
        logline('ERROR', " - $_") for @incompatible;
        print STDERR "Incompatible mods found!\n";
        exit 1;
    }
} elsif ($type eq 'quilt') {
    # ---- What `java -jar quilt-server-launch.jar nogui` decides (the TypeScript
    # twin is packages/artifacts/src/quilt/launcherDecision.ts): the JVM's checks
    # of the jar; the JVM finding Main-Class in it or on its Class-Path (entries
    # relative to the jar's folder, missing ones skipped); Quilt Loader's
    # QuiltServerLauncher finding the server jar that quilt-server-launcher.properties
    # names (server.jar by default); then every library Knot loads. Quilt's
    # launcher never downloads, so each of these is an outright refusal.
    my $launch = "$dir/$jar";
    my $mf = eval { zip_entry($launch, 'META-INF/MANIFEST.MF') };
    refuse("Error: Invalid or corrupt jarfile $jar") if $@;
    my (%attr, $last);
    for my $line (split /\r\n|\r|\n/, $mf // '') {
        last if $line eq '';
        if ($line =~ /^ (.*)$/ && defined $last) { $attr{$last} .= $1; next }
        ($last, my $value) = $line =~ /^([^:]+): (.*)$/ or next;
        $attr{$last} = $value;
    }
    my $main = $attr{'Main-Class'};
    refuse("no main manifest attribute, in $jar") unless defined $main && $main =~ /\S/;
    # A path relative to the server directory that stays inside it (never followed out), or undef.
    my $inside = sub {
        my @parts;
        return undef if $_[0] =~ m{^/};
        for my $part (split m{/}, $_[0]) {
            next if $part eq '' || $part eq '.';
            if ($part eq '..') { return undef unless @parts; pop @parts; next }
            push @parts, $part;
        }
        return join('/', @parts);
    };
    my @class_path = map { (my $e = $_) =~ s/%([0-9A-Fa-f]{2})/chr(hex $1)/ge; [$_, $inside->($e)] } split ' ', $attr{'Class-Path'} // '';
    (my $class_file = "$main.class") =~ s{\.(?=.*\.class$)}{/}g;
    my $found = defined eval { zip_entry($launch, $class_file) };
    for my $e (@class_path) {
        last if $found;
        $found = defined $e->[1] && -f "$dir/$e->[1]" && defined eval { zip_entry("$dir/$e->[1]", $class_file) };
    }
    refuse("Error: Could not find or load main class $main\nCaused by: java.lang.ClassNotFoundException: $main") unless $found;
    my $server_jar = 'server.jar';
    for my $line (split /\r\n|\r|\n/, slurp("quilt-server-launcher.properties") // '') {
        next if $line =~ /^\s*(?:[#!]|$)/;
        $server_jar = $2 if $line =~ /^\s*([^=:\s]+)\s*[=:\s]\s*(.*)$/ && $1 eq 'serverJar';
    }
    my $server_path = $inside->($server_jar);
    unless (defined $server_path && -e "$dir/$server_path") {
        # The absolute path as the launcher prints it inside the container.
        my $shown = defined $server_path ? "/srv/minecraft/$server_path" : $server_jar;
        refuse("The Minecraft server .JAR is missing ($shown)!\nWithout the official Minecraft server .JAR, Quilt Loader cannot launch.");
    }
    for my $e (@class_path) {
        refuse("Class-Path entry $e->[0] of $jar is missing: Quilt Loader would stop with a NoClassDefFoundError when it needs it")
          unless defined $e->[1] && -e "$dir/$e->[1]";
    }
    my ($loader) = map { m{^libraries/org/quiltmc/quilt-loader/([^/]+)/} ? $1 : () } map { $_->[0] } @class_path;
    my ($game) = $record =~ /"game"\s*:\s*"([^"\\]*)"/;
    logline('INFO', "Loading Minecraft " . ($game // '?') . " with Quilt Loader " . ($loader // '?'));
} else {
    # A type this sim does not know is one the agent should never have placed.
    refuse("the sim cannot start a server of type $type");
}
refuse("You need to agree to the EULA in order to run the server. Go to eula.txt for more info.")
  if (slurp('eula.txt') // '') !~ /^eula=true$/m;

my ($game) = $record =~ /"game"\s*:\s*"((?:[^"\\]|\\.)*)"/;

sub json_string {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord($1))/ge;
    return "\"$s\"";
}

my $port = $props{'server-port'} // 25565;
my $max_players = ($props{'max-players'} // 20) + 0;
# $game is already JSON-escaped text: it was cut out of a JSON string as is.
# The players online go between the two halves when a status is asked for.
my $status_head = sprintf('{"version":{"name":%s,"protocol":767},"players":{"max":%d,"online":',
    defined $game ? "\"$game\"" : '"unknown"', $max_players);
my $status_tail = sprintf(',"sample":[]},"description":{"text":%s},"enforcesSecureChat":false}', json_string($props{motd} // 'A Minecraft Server'));
utf8::encode($_) for $status_head, $status_tail;    # the packet carries UTF-8 bytes; a \uXXXX motd may hold wide characters

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

# AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR and a sockaddr_in for the
# container's own address (argv[1], a loopback address of its own: Linux
# routes all of 127.0.0.0/8 to lo) and $port, as a real container listens on
# its own IP: another container's server cannot answer for this one.
my $ip = $ARGV[1] // '127.0.0.1';
refuse("**** FAILED TO BIND TO PORT! (bad address $ip)") unless $ip =~ /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
my @ip = ($1, $2, $3, $4);
my ($af_inet, $sock_stream, $sol_socket, $so_reuseaddr, $address);
if ($^O eq 'linux') {
    ($af_inet, $sock_stream, $sol_socket, $so_reuseaddr) = (2, 1, 1, 2);
    $address = pack('S n C4 x8', $af_inet, $port, @ip);
} else {
    require Socket;
    ($af_inet, $sock_stream, $sol_socket, $so_reuseaddr) =
      (Socket::AF_INET(), Socket::SOCK_STREAM(), Socket::SOL_SOCKET(), Socket::SO_REUSEADDR());
    $address = Socket::pack_sockaddr_in($port, Socket::inet_aton($ip));
}
my $listener;
unless (socket($listener, $af_inet, $sock_stream, 0)
    && setsockopt($listener, $sol_socket, $so_reuseaddr, pack('l', 1))
    && bind($listener, $address)
    && listen($listener, 128)) {
    refuse("**** FAILED TO BIND TO PORT! ($!) Perhaps a server is already running on that port?");
}
logline('INFO', "Starting Minecraft server on $ip:$port");

# RCON, as the vanilla server runs it (RconThread/RconClient): only with
# enable-rcon=true and a non-empty rcon.password, on rcon.port at the same
# address. Packets are int32le length, int32le request id, int32le type,
# body, two NULs; login (type 3) is answered with type 2 and the request id,
# or -1 for a wrong password (and the connection closed); a command (type 2)
# before login closes the connection; a command's reply is type 0 with the
# same id. A handful of commands are understood, with vanilla's replies.
my $rcon;
my $rcon_password = $props{'rcon.password'} // '';
if (($props{'enable-rcon'} // '') eq 'true') {
    if ($rcon_password eq '') {
        logline('WARN', 'No rcon password set in server.properties, rcon disabled!');
    } else {
        my $rport = $props{'rcon.port'} // 25575;
        my $raddr = $^O eq 'linux' ? pack('S n C4 x8', $af_inet, $rport, @ip) : Socket::pack_sockaddr_in($rport, Socket::inet_aton($ip));
        if (socket($rcon, $af_inet, $sock_stream, 0) && setsockopt($rcon, $sol_socket, $so_reuseaddr, pack('l', 1)) && bind($rcon, $raddr) && listen($rcon, 16)) {
            logline('INFO', "RCON running on $ip:$rport");
        } else {
            logline('WARN', "Unable to initialise RCON on $ip:$rport ($!)");
            undef $rcon;
        }
    }
}
logline('INFO', 'Done! For help, type "help"');

$SIG{$_} = sub { exit 0 } for qw(TERM INT);
$SIG{PIPE} = 'IGNORE';

my %conn;    # fileno -> { sock, buf, state, seen, rcon, authed, player }
my $autosave = 1;
my $stopping = 0;

sub rcon_packet {
    my ($id, $type, $body) = @_;
    utf8::encode($body) if utf8::is_utf8($body);
    return pack('l< l< l<', 10 + length $body, $id, $type) . $body . "\0\0";
}

# The reply to one command, as vanilla answers it over RCON (its messages joined, no newlines).
sub rcon_command {
    my ($line) = @_;
    $line =~ s/^\///;
    my ($cmd, $rest) = split / /, $line, 2;
    $cmd //= '';
    if ($cmd eq 'list') {
        my @names = sort(players());
        return sprintf('There are %d of a max of %d players online: %s', scalar(@names), $max_players, join(', ', @names));
    }
    if ($cmd eq 'say' && defined $rest && $rest ne '') {
        logline('INFO', "[Rcon] $rest");
        return '';
    }
    if ($cmd eq 'save-all') {
        logline('INFO', 'Saving the game (this may take a moment!)');
        logline('INFO', 'Saved the game');
        return 'Saving the game (this may take a moment!)Saved the game';
    }
    if ($cmd eq 'save-off') {
        return 'Saving is already turned off' unless $autosave;
        $autosave = 0;
        logline('INFO', 'Automatic saving is now disabled');
        return 'Automatic saving is now disabled';
    }
    if ($cmd eq 'save-on') {
        return 'Saving is already turned on' if $autosave;
        $autosave = 1;
        logline('INFO', 'Automatic saving is now enabled');
        return 'Automatic saving is now enabled';
    }
    if ($cmd eq 'stop') {
        logline('INFO', 'Stopping the server');
        $stopping = 1;
        return 'Stopping the server';
    }
    return "Unknown or incomplete command, see below for error$line<--[HERE]";
}

# One read from an RCON client, handled as vanilla's RconClient does; returns
# false when the connection is done. Vanilla reads a request with one read
# of at most 1460 bytes and drops the connection unless that read is exactly
# one whole packet (so a body is at most 1446 bytes, and two requests sent
# together, or one split, drop it too). A type it does not know is answered
# "Unknown request <type in hex>", as type 0 with the same id.
sub handle_rcon {
    my ($c, $read) = @_;
    return 0 if length($read) < 10;
    my ($len, $id, $type) = unpack('l< l< l<', $read);
    return 0 if $len != length($read) - 4;
    my $body = substr($read, 12);
    $body =~ s/\0.*//s;
    if ($type == 3) {
        if ($body eq $rcon_password) {
            $c->{authed} = 1;
            syswrite($c->{sock}, rcon_packet($id, 2, ''));
        } else {
            syswrite($c->{sock}, rcon_packet(-1, 2, ''));
            return 0;
        }
    } elsif ($type == 2) {
        return 0 unless $c->{authed};
        syswrite($c->{sock}, rcon_packet($id, 0, rcon_command($body)));
    } else {
        syswrite($c->{sock}, rcon_packet($id, 0, sprintf('Unknown request %x', $type)));
    }
    return 1;
}

# The names of the players online: connections that logged in and are still open.
sub players { return map { $_->{player} } grep { defined $_->{player} } values %conn }

sub drop {
    my ($c) = @_;
    logline('INFO', "$c->{player} left the game") if defined $c->{player};
    delete $conn{ fileno $c->{sock} };
    close $c->{sock};
}

# The string at $off of a packet (VarInt length, UTF-8 bytes): (string, bytes taken), () if it is cut short.
sub read_string {
    my ($buf, $off) = @_;
    my ($len, $size) = read_varint($buf, $off);
    return () unless defined $len && $off + $size + $len <= length($buf);
    return (substr($buf, $off + $size, $len), $size + $len);
}

# One packet from a client; returns false when the connection is done.
# A player joins as an offline-mode (online-mode=false) server lets one:
# the handshake asks for login (next state 2), Login Start names the
# player, Login Success (1.21's: uuid, name, no properties, strict error
# handling off) answers it, and from then on the player is online until the
# connection closes; what the client sends after that is read and ignored
# (the sim has no world to configure or play in).
sub handle_packet {
    my ($c, $body) = @_;
    my ($id, $size) = read_varint($body, 0);
    return 0 unless defined $id;
    return 1 if $c->{state} == 3;
    if ($c->{state} == 0 && $id == 0) {
        # Handshake: protocol version, server address, port, next state (1 status, 2 login).
        my ($protocol, $psize) = read_varint($body, $size);
        return 0 unless defined $protocol;
        my (undef, $asize) = read_string($body, $size + $psize);
        return 0 unless defined $asize;
        my ($next) = read_varint($body, $size + $psize + $asize + 2);
        return 0 unless defined $next && ($next == 1 || $next == 2);
        $c->{state} = $next;
        return 1;
    }
    if ($c->{state} == 2 && $id == 0) {
        my ($name, $nsize) = read_string($body, $size);
        return 0 unless defined $name && $name =~ /^[A-Za-z0-9_]{1,16}$/ && length($body) >= $size + $nsize + 16;
        my $uuid = substr($body, $size + $nsize, 16);
        syswrite($c->{sock}, packet(2, $uuid . varint(length $name) . $name . varint(0) . "\0"));
        $c->{state} = 3;
        $c->{player} = $name;
        logline('INFO', "$name joined the game");
        return 1;
    }
    return 0 if $c->{state} == 2;
    if ($c->{state} == 1 && $id == 0) {
        my $status = $status_head . scalar(players()) . $status_tail;
        syswrite($c->{sock}, packet(0, varint(length $status) . $status));
        return 1;
    }
    if ($c->{state} == 1 && $id == 1) {
        syswrite($c->{sock}, packet(1, substr($body, $size)));
    }
    return 0;
}

# The game's tick loop dying of an exception (see .sim-crash above): checked once a loop (at most a second).
sub tick_crash {
    my ($crash_text) = @_;
    my @t = localtime;
    my $stamp = sprintf('%04d-%02d-%02d_%02d.%02d.%02d', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
    my $name = "crash-$stamp-server.txt";
    $crash_text =~ s/\s+$//;
    logline('ERROR', "Encountered an unexpected exception\n$crash_text") if $log;
    mkdir "$dir/crash-reports";
    if (open(my $report, '>', "$dir/crash-reports/$name")) {
        my $time = sprintf('%04d-%02d-%02d %02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
        print $report "---- Minecraft Crash Report ----\n// Why did you do that?\n\nTime: $time\nDescription: Exception in server tick loop\n\n$crash_text\n\n\n"
          . "A detailed walkthrough of the error, its code path and all known details is as follows:\n"
          . "---------------------------------------------------------------------------------------\n\n-- System Details --\nDetails:\n\tMinecraft Version: " . ($game // 'unknown') . "\n";
        close $report;
        logline('ERROR', "This crash report has been saved to: /srv/minecraft/./crash-reports/$name");
    }
    print STDERR "$crash_text\n";
    exit 1;
}

while (1) {
    if (-e "$dir/.sim-crash") {
        my ($mode, $text) = (slurp('.sim-crash') // '') =~ /^(jvm|tick)\n(.*)$/s;
        if (($mode // '') eq 'tick') {
            unlink "$dir/.sim-crash";
            tick_crash($text);
        }
    }
    my $want = '';
    vec($want, fileno($_), 1) = 1 for $listener, ($rcon ? ($rcon) : ()), map { $_->{sock} } values %conn;
    my $ready = $want;
    if (select($ready, undef, undef, 1) > 0) {
        if (vec($ready, fileno($listener), 1) && accept(my $client, $listener)) {
            $conn{ fileno $client } = { sock => $client, buf => '', state => 0, seen => time };
        }
        if ($rcon && vec($ready, fileno($rcon), 1) && accept(my $client, $rcon)) {
            $conn{ fileno $client } = { sock => $client, buf => '', seen => time, rcon => 1, authed => 0 };
        }
        for my $c (grep { vec($ready, fileno($_->{sock}), 1) } values %conn) {
            my $n = sysread($c->{sock}, my $chunk, $c->{rcon} ? 1460 : 4096);
            if (!$n) { drop($c); next; }
            $c->{seen} = time;
            if ($c->{rcon}) {
                drop($c) unless handle_rcon($c, $chunk);
                if ($stopping) {
                    logline('INFO', 'Stopping server');
                    exit 0;
                }
                next;
            }
            $c->{buf} .= $chunk;
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
    # A status client silent for 10 s is dropped, as the server's read timeout would (RCON clients and players may
    # idle: the sim sends no keep-alives for a player to answer).
    for my $c (values %conn) { drop($c) if !$c->{rcon} && !defined $c->{player} && time - $c->{seen} > 10 }
}
