#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Integration: numbers in templates and values mean the same to every
# reader of the rendered manifests. "010" is 8 to a YAML 1.1 reader
# (kubectl, PyYAML) and 10 to a 1.2 one; "0o17" and "1e3" are strings to
# the first. ftboot writes each number so that PyYAML (1.1) and ftboot's
# own reader (1.2 core) read the same value.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
scratch
mkdir -p "$tmp/p/srcs" "$tmp/p/templates" "$tmp/q/srcs" "$tmp/q/templates" || exit 1
cat >"$tmp/p/srcs/stack.yaml" <<'YAML'
name: nums
values:
  oct: 010
  exp: 1e3
services:
  web:
    ports: {http: 80}
YAML
cp "$tmp/p/srcs/stack.yaml" "$tmp/q/srcs/stack.yaml" || exit 1
mkdir -p "$tmp/p/srcs/web" "$tmp/q/srcs/web" || exit 1
printf 'FROM scratch\n' | tee "$tmp/p/srcs/web/Dockerfile" >"$tmp/q/srcs/web/Dockerfile" || exit 1
cat >"$tmp/p/templates/n.yaml" <<'YAML'
apiVersion: v1
kind: Numbers
metadata:
  name: n
spec:
  leading_zero: 010
  octal: 0o17
  hex: 0x1F
  plus: +5
  exp: 1e3
  exp_signed: 1E+3
  big: 1e20
  small: 1.5e-7
  half: .5
  dot: 5.
  inf: -.Inf
  from_values_oct: ${values.oct}
  from_values_exp: ${values.exp}
  quoted: "010"
  port: ${port.web}
YAML

cd "$tmp/p" || exit 1
run_ftboot render
is "$rc" 0 "a template with numbers in every spelling renders: $errout"
first=$out

py=/usr/bin/python3 # Debian's, with python3-yaml (tests/deps.sh)
if [ -x $py ] && $py -c 'import yaml' 2>/dev/null; then
	printf '%s\n' "$first" | $py -c '
import math, sys, yaml
spec = yaml.safe_load(sys.stdin)["spec"]
want = {"leading_zero": 10, "octal": 15, "hex": 31, "plus": 5, "exp": 1000.0,
        "exp_signed": 1000.0, "big": 1e20, "small": 1.5e-7, "half": 0.5, "dot": 5.0,
        "inf": -math.inf, "from_values_oct": 10, "from_values_exp": 1000.0,
        "quoted": "010", "port": 80}
bad = [f"{k}: {spec.get(k)!r} ({type(spec.get(k)).__name__}), want {v!r}"
       for k, v in want.items() if spec.get(k) != v or type(spec.get(k)) is not type(v)]
print("; ".join(bad) or "same")' >"$tmp/py" 2>&1
	is "$(cat "$tmp/py")" same "PyYAML (YAML 1.1) reads every number as ftboot does"
else
	skip "PyYAML is not installed (python3-yaml): no YAML 1.1 reader"
fi

# ftboot's own reader: the output, read as a template, renders to itself.
printf '%s\n' "$first" >"$tmp/q/templates/n.yaml"
cd "$tmp/q" || exit 1
run_ftboot render
is "$rc" 0 "the output reads back as a template: $errout"
is "$out" "$first" "and ftboot writes the same values again, byte for byte"
printf '%s\n' "$first" | grep -qxF '  leading_zero: 10'; ok $? "010 is written 10"
printf '%s\n' "$first" | grep -qxF '  exp: 1000.0'; ok $? "1e3 is written 1000.0"
done_testing
