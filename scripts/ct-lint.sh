#!/usr/bin/env bash
# ct-lint: fails if src/ compares MAC / signature / token bytes with `==` / `!=` (or `.eq(` /
# `.ne(`), which short-circuit on the first differing byte. Secret-dependent comparisons must
# use `subtle::ConstantTimeEq` (`ct_eq`) — in hookguard, `crypto::ct_match`.
#
#   scripts/ct-lint.sh [DIR...]     (default: src)
#
# A comparison is flagged when either operand mentions a name like
# sig / signature / mac / hmac / tag / token / digest / expected / secret / offered / key_bytes.
# Not scanned: comments (`//`, `///`, `//!`, trailing `// ...`), `#[cfg(test)]` items, and
# length comparisons (`x.len() == n`: lengths follow from the scheme and are public).
# A comparison that is about public data (a header *name*, a list item *key*, a scheme
# enum) is allowed by putting this marker on the same line:
#
#     if key == signature_key {   // ct-lint: public (item key, not the MAC)
#
# (or alone on the line just above or below, where rustfmt moves it).
#
# Exit status: 0 = clean, 1 = findings (listed as file:line: [operands] code).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "$#" -gt 0 ] || set -- src

find "$@" -name '*.rs' -type f | sort | xargs perl -e '
use strict; use warnings;
my $secret = qr/(sig|signature|mac\b|_mac|mac_|hmac|tag\b|_tag|tag_|token|digest|expected|secret|offered|key_bytes)/i;
my $findings = 0;
for my $file (@ARGV) {
    open(my $fh, "<", $file) or die "$file: $!";
    my ($pending_test, $skip_depth, $in_block_comment) = (0, -1, 0);
    my @lines = <$fh>;
    chomp @lines;
    my $n = 0;
    for my $i (0 .. $#lines) {
        my $line = $lines[$i];
        $n++;
        my $code = $line;
        # Block comments.
        if ($in_block_comment) {
            if ($code =~ s/^.*?\*\///) { $in_block_comment = 0 } else { next }
        }
        $code =~ s/\/\*.*?\*\///g;
        if ($code =~ s/\/\*.*$//) { $in_block_comment = 1 }
        # Skip #[cfg(test)] items: from the attribute to the matching closing brace.
        if ($skip_depth >= 0) {
            $skip_depth += () = $code =~ /\{/g;
            $skip_depth -= () = $code =~ /\}/g;
            $skip_depth = -1 if $skip_depth <= 0 && $code =~ /\}/;
            next;
        }
        if ($code =~ /#\[cfg\((all\()?test/) { $pending_test = 1; next }
        if ($pending_test) {
            next if $code =~ /^\s*(#\[|$)/;
            $pending_test = 0;
            my $open = () = $code =~ /\{/g;
            my $close = () = $code =~ /\}/g;
            $skip_depth = $open - $close if $open > $close;
            next;
        }
        # The marker may sit on the line itself, or (where rustfmt moves a trailing comment
        # after an opening brace) alone on the line just above or below.
        my $marker = $line =~ /ct-lint:\s*public/
            || ($i > 0 && $lines[$i - 1] =~ /^\s*\/\/\s*ct-lint:\s*public/)
            || ($i < $#lines && $lines[$i + 1] =~ /^\s*\/\/\s*ct-lint:\s*public/);
        # Strip strings and trailing line comments.
        $code =~ s/"(?:[^"\\]|\\.)*"/""/g;
        $code =~ s/\/\/.*$//;
        next if $code =~ /^\s*$/;
        my @hits;
        while ($code =~ /(==|!=)/g) {
            my $op = $1;
            my $pos = pos($code);
            my $left = substr($code, 0, $pos - 2);
            my $right = substr($code, $pos);
            my ($l) = $left =~ /([\w\.\[\]\(\)&\*:]+(?:\s*\.\s*[\w\(\)]+)*)\s*$/;
            my ($r) = $right =~ /^\s*([\w\.\[\]\(\)&\*:]+)/;
            $l //= ""; $r //= "";
            next if $l =~ /\.len\(\)\)*$/ || $r =~ /\.len\(\)\)*$/;
            push @hits, "$l $op $r" if $l =~ $secret || $r =~ $secret;
        }
        while ($code =~ /([\w\.\[\]\(\)&\*]*)\.(eq|ne)\(([^)]*)\)/g) {
            my ($recv, $m, $arg) = ($1, $2, $3);
            push @hits, "$recv.$m($arg)" if "$recv $arg" =~ $secret;
        }
        next unless @hits;
        next if $marker;
        $findings++;
        (my $show = $line) =~ s/^\s+//;
        print "$file:$n: [" . join("; ", @hits) . "] $show\n";
    }
}
if ($findings) {
    print STDERR "ct-lint: $findings line(s) compare secret-looking values with ==/!=; use ct_eq / crypto::ct_match, or mark a public comparison with `// ct-lint: public`\n";
    exit 1;
}
print "ct-lint: OK (no ==/!= on MAC/signature/token values)\n";
' || exit 1
