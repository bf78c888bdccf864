#!/usr/bin/env bash
# Makes the IVR's prompts from text: one 8 kHz mono 16-bit WAV per line, spoken by
# espeak-ng's Mandarin voice and converted by sox. A stand-in until recordings exist; a
# recording dropped in OUTDIR under the same name takes its place (and is kept: an existing
# file is only remade with --force).
#
#   scripts/make-prompts.sh [--force] OUTDIR < prompts.tsv
#
# Each input line is `name<TAB>text`, e.g. `welcome	您好，欢迎致电95598供电服务热线。`.
# Names are file names (letters, digits, `_`, `-`); empty lines and lines starting with `#`
# are skipped. Every line is checked before anything is made.
set -euo pipefail

usage() {
    echo "usage: $0 [--force] OUTDIR < list   (lines: name<TAB>text)" >&2
    exit 2
}

force=0
outdir=""
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h | --help) usage ;;
        -*) echo "unknown option: $arg" >&2; usage ;;
        *)
            [ -z "$outdir" ] || usage
            outdir="$arg"
            ;;
    esac
done
[ -n "$outdir" ] || usage

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
if [ ${#missing[@]} -gt 0 ]; then
    echo "error: ${missing[*]} not found; install with: apt-get install ${missing[*]}" >&2
    exit 1
fi
if ! espeak-ng --voices=cmn 2>/dev/null | awk '$2 == "cmn" { found = 1 } END { exit !found }'; then
    echo "error: espeak-ng has no Mandarin voice (cmn)" >&2
    exit 1
fi

# Read and check every line first, so a typo on line 40 does not leave half a folder.
names=()
texts=()
declare -A seen=()
lineno=0
bad=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line="${line%$'\r'}"
    [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
    if [[ "$line" != *$'\t'* ]]; then
        echo "error: line $lineno: no TAB between name and text: $line" >&2
        bad=1
        continue
    fi
    name="${line%%$'\t'*}"
    text="${line#*$'\t'}"
    if [[ ! "$name" =~ ^[A-Za-z0-9_-]+$ ]]; then
        echo "error: line $lineno: name '$name' is not letters, digits, _ and -" >&2
        bad=1
    elif [ -n "${seen[$name]:-}" ]; then
        echo "error: line $lineno: '$name' already on line ${seen[$name]}" >&2
        bad=1
    elif [ -z "${text//[[:space:]]/}" ]; then
        echo "error: line $lineno: '$name' has no text" >&2
        bad=1
    else
        seen[$name]=$lineno
        names+=("$name")
        texts+=("$text")
    fi
done
[ $bad -eq 0 ] || exit 1
if [ ${#names[@]} -eq 0 ]; then
    echo "error: no prompts on standard input" >&2
    exit 1
fi

mkdir -p "$outdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

made=0
skipped=0
for i in "${!names[@]}"; do
    name="${names[$i]}"
    out="$outdir/$name.wav"
    if [ -e "$out" ] && [ $force -eq 0 ]; then
        echo "skip  $out (exists; --force to remake)"
        skipped=$((skipped + 1))
        continue
    fi
    # The text goes through standard input, so a text starting with '-' is not an option.
    printf '%s' "${texts[$i]}" | espeak-ng -v cmn -s 150 --stdin -w "$tmp/speech.wav"
    # espeak-ng speaks near full scale and resampling overshoots: -G guards against
    # clipping, and every prompt is brought to the same peak, −3 dBFS.
    sox -G "$tmp/speech.wav" -r 8000 -c 1 -b 16 -e signed-integer "$tmp/$name.wav" gain -n -3
    mv -f "$tmp/$name.wav" "$out"
    echo "made  $out"
    made=$((made + 1))
done
echo "$made made, $skipped skipped, in $outdir"
