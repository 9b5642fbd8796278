{{/*
Render a config file of the local stack (stack/conf/*, copied into the chart's files/ by
`make charts-sync`) for Kubernetes: the same text, with
  1. its ${VAR} placeholders replaced from "vars" (as stack/bin/common.sh `render` does; "$$" is a
     literal "$"); a placeholder left without a value fails the render;
  2. "overrides" applied: for "properties", lines whose key is overridden are dropped and the
     overrides appended (a null value only drops the key); for "xml" (Hadoop configuration), the
     overrides are appended as <property> elements, and a later definition wins in Hadoop.
Usage: include "questlog.renderConfig" (dict "ctx" $ "file" "files/server.properties" "format" "properties"
         "vars" (dict "QL_VAR" "/var/lib/questlog") "overrides" (dict "node.id" "1"))
*/}}
{{- define "questlog.renderConfig" -}}
{{- $text := .ctx.Files.Get .file | required (printf "chart file %s is missing (run make charts-sync)" .file) -}}
{{- $text = replace "$$" "\x00" $text -}}
{{- range $k, $v := (.vars | default dict) -}}
{{- $text = replace (printf "${%s}" $k) (toString $v) $text -}}
{{- end -}}
{{- with regexFind "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}" $text -}}
{{- fail (printf "%s: no value for placeholder %s" $.file .) -}}
{{- end -}}
{{- $text = replace "\x00" "$" $text -}}
{{- $overrides := .overrides | default dict -}}
{{- if eq .format "properties" -}}
{{- range $line := splitList "\n" (trimSuffix "\n" $text) -}}
{{- $key := trim (first (splitList "=" $line)) -}}
{{- if not (and (not (hasPrefix "#" $key)) (hasKey $overrides $key)) }}
{{ $line }}
{{- end -}}
{{- end }}
{{- if $overrides }}
# Kubernetes overrides (chart values)
{{- range $k, $v := $overrides }}
{{- if not (kindIs "invalid" $v) }}
{{ $k }}={{ $v }}
{{- end }}
{{- end }}
{{- end }}
{{- else if eq .format "xml" -}}
{{- $props := "" -}}
{{- range $k, $v := $overrides -}}
{{- $props = printf "%s  <property><name>%s</name><value>%s</value></property>\n" $props $k (toString $v) -}}
{{- end -}}
{{- if $props -}}
{{- $props = printf "  <!-- Kubernetes overrides (chart values); a later definition wins -->\n%s" $props -}}
{{- end -}}
{{- replace "</configuration>" (printf "%s</configuration>" $props) $text }}
{{- else -}}
{{- $text }}
{{- end -}}
{{- end -}}
