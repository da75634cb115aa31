#!/bin/sh
# dashboards.sh TEMPLATE DIR SERVICE...: one Grafana dashboard per
# service (R12), DIR/SERVICE.json, from TEMPLATE with @SERVICE@ replaced
# by the service's name (its title, tag, uid ft-SERVICE and the container
# its queries select). DIR ends up holding exactly these files, so a
# second run changes nothing. Every step checks its status (the entry
# point sources this in a subshell whose status it tests, where set -e
# does not apply).
set -eu
[ $# -ge 3 ] || {
	echo "usage: dashboards.sh TEMPLATE DIR SERVICE..." >&2
	exit 2
}
template=$1 dir=$2
shift 2
[ -r "$template" ] || {
	echo "dashboards: cannot read the template '$template'" >&2
	exit 2
}
for s; do
	case $s in
	'' | -* | *[!a-z0-9-]*)
		echo "dashboards: '$s' is not a service name (a-z, 0-9 and '-')" >&2
		exit 2
		;;
	esac
done
mkdir -p "$dir" && rm -f "$dir"/*.json "$dir"/*.json.new || exit 1
for s; do
	sed "s/@SERVICE@/$s/g" "$template" >"$dir/$s.json.new" &&
		mv "$dir/$s.json.new" "$dir/$s.json" || exit 1
done
