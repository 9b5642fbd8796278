{{/*
Image reference: [global.imageRegistry/]repository:tag, the tag defaulting to the chart's appVersion.
A floating tag is refused: what runs must be what was tested.
Usage: include "questlog.image" (list $ .Values.image)
*/}}
{{- define "questlog.image" -}}
{{- $ctx := index . 0 -}}
{{- $image := index . 1 -}}
{{- $tag := $image.tag | default $ctx.Chart.AppVersion | toString -}}
{{- if or (eq $tag "latest") (eq $tag "") -}}
{{- fail (printf "image %s: pin a tag (got %q)" $image.repository $tag) -}}
{{- end -}}
{{- $registry := $ctx.Values.global.imageRegistry | default "" -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* imagePullSecrets from global.imagePullSecrets (names). */}}
{{- define "questlog.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
Pod-level scheduling and security shared by every workload: security context, node selector,
tolerations, affinity (default: prefer spreading the component's pods over nodes), priority class.
Usage: include "questlog.podSpecCommon" (list $ "kafka")
*/}}
{{- define "questlog.podSpecCommon" -}}
{{- $ctx := index . 0 -}}
{{- $v := $ctx.Values -}}
{{- include "questlog.imagePullSecrets" $ctx }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if $v.affinity }}
  {{- toYaml $v.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "questlog.selectorLabels" . | nindent 14 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{/* sha256 of a rendered template: pod annotation that rolls the pods when their config changes. */}}
{{- define "questlog.checksum" -}}
{{- $ctx := index . 0 -}}
{{- include (print $ctx.Template.BasePath "/" (index . 1)) $ctx | sha256sum -}}
{{- end -}}
