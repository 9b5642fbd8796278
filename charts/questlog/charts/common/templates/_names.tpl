{{/*
Names. Every object of a component is called "<release>-<component>", so that one component can
address another (the API finds Kafka at "<release>-kafka:9092") without reading its values.
Usage: include "questlog.componentName" (list $ "kafka")
*/}}
{{- define "questlog.componentName" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" $ctx.Release.Name (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
host:port of a component's Service, from the contract ports in global.ports.
Usage: include "questlog.endpoint" (list $ "kafka" "kafka")  ->  rel-kafka:9092
*/}}
{{- define "questlog.endpoint" -}}
{{- $ctx := index . 0 -}}
{{- $port := index $ctx.Values.global.ports (index . 2) | required (printf "global.ports.%s is not set" (index . 2)) -}}
{{- printf "%s:%v" (include "questlog.componentName" (list $ctx (index . 1))) $port -}}
{{- end -}}

{{/* hdfs://<release>-hdfs-namenode:8020: the default file system of every Hadoop client. */}}
{{- define "questlog.defaultFS" -}}
{{- printf "hdfs://%s" (include "questlog.endpoint" (list . "hdfs-namenode" "namenode")) -}}
{{- end -}}

{{/* The Iceberg warehouse root on HDFS (the same path as the local stack). */}}
{{- define "questlog.warehouse" -}}
{{- printf "%s/warehouse" (include "questlog.defaultFS" .) -}}
{{- end -}}

{{/* thrift://<release>-metastore:9083 */}}
{{- define "questlog.metastoreUri" -}}
{{- printf "thrift://%s" (include "questlog.endpoint" (list . "metastore" "metastore")) -}}
{{- end -}}

{{/* Name of the Secret holding the API keys (one per line, key "keys"). */}}
{{- define "questlog.apiKeysSecret" -}}
{{- $auth := .Values.global.apiAuth -}}
{{- if $auth.existingSecret -}}
{{- $auth.existingSecret -}}
{{- else -}}
{{- include "questlog.componentName" (list . "api-keys") -}}
{{- end -}}
{{- end -}}
