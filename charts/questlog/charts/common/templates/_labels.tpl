{{/*
Standard labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
Usage: include "questlog.labels" (list $ "kafka")
*/}}
{{- define "questlog.labels" -}}
{{- $ctx := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "questlog.selectorLabels" . }}
app.kubernetes.io/version: {{ $ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: questlog
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
{{- end -}}

{{/* Labels that select a component's pods; never change them (selectors are immutable). */}}
{{- define "questlog.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* The label every pod of the release carries: NetworkPolicies admit traffic from these pods only. */}}
{{- define "questlog.releaseSelector" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: questlog
{{- end -}}

{{/*
Object metadata shared by every template: name, namespace, labels.
Usage: include "questlog.metadata" (list $ "kafka")  or  (list $ "kafka" "headless") for "<release>-kafka-headless"
*/}}
{{- define "questlog.metadata" -}}
{{- $ctx := index . 0 -}}
{{- $name := include "questlog.componentName" (list $ctx (index . 1)) -}}
{{- if gt (len .) 2 }}{{ $name = printf "%s-%s" $name (index . 2) | trunc 63 | trimSuffix "-" }}{{ end -}}
name: {{ $name }}
namespace: {{ $ctx.Release.Namespace }}
labels:
  {{- include "questlog.labels" (list $ctx (index . 1)) | nindent 2 }}
{{- end -}}
