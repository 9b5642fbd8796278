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

{{/* Name of the Secret with the player-erasure keys (admin-key, privacy-key; global.privacy). */}}
{{- define "questlog.privacySecret" -}}
{{- $privacy := .Values.global.privacy | default dict -}}
{{- if $privacy.existingSecret -}}
{{- $privacy.existingSecret -}}
{{- else -}}
{{- include "questlog.componentName" (list . "privacy") -}}
{{- end -}}
{{- end -}}

{{/* Where a pod mounts the privacy Secret (only the keys it needs). */}}
{{- define "questlog.privacyDir" -}}/etc/questlog/privacy{{- end -}}

{{/* The volume of the privacy Secret, with the given keys only (read-only for the pod's group).
Usage: include "questlog.privacyVolume" (list $ "privacy-key") */}}
{{- define "questlog.privacyVolume" -}}
{{- $ctx := index . 0 -}}
- name: privacy
  secret:
    secretName: {{ include "questlog.privacySecret" $ctx }}
    defaultMode: 0440
    items:
      {{- range $key := rest . }}
      - key: {{ $key }}
        path: {{ $key }}
      {{- end }}
{{- end -}}

{{/* The mount of that volume (read-only). */}}
{{- define "questlog.privacyMount" -}}
- name: privacy
  mountPath: {{ include "questlog.privacyDir" . }}
  readOnly: true
{{- end -}}

{{/* Name of the Secret with the Kafka users' passwords (global.kafkaAuth). */}}
{{- define "questlog.kafkaSecret" -}}
{{- $auth := .Values.global.kafkaAuth | default dict -}}
{{- if $auth.existingSecret -}}
{{- $auth.existingSecret -}}
{{- else -}}
{{- include "questlog.componentName" (list . "kafka-credentials") -}}
{{- end -}}
{{- end -}}

{{/* true when Kafka is locked (global.kafkaAuth.enabled), else empty. */}}
{{- define "questlog.kafkaAuth" -}}
{{- if (.Values.global.kafkaAuth | default dict).enabled -}}true{{- end -}}
{{- end -}}

{{/* Where a pod mounts the Kafka credentials Secret (only the keys it needs). */}}
{{- define "questlog.kafkaCredentialsDir" -}}/etc/questlog/kafka-credentials{{- end -}}

{{/*
Environment entries of a Kafka client authenticating as one user (SASL/SCRAM-SHA-512), in the
librdkafka property names the API and the stream both read (<PREFIX>KAFKA_SASL_USERNAME -> sasl.username;
a name ending in _FILE is read from that file: the password comes from the mounted Secret).
Usage: include "questlog.kafkaClientEnv" (list $ "QUESTLOG_API_" "api")
*/}}
{{- define "questlog.kafkaClientEnv" -}}
{{- $ctx := index . 0 -}}
{{- $prefix := index . 1 -}}
{{- $user := index . 2 -}}
{{- if include "questlog.kafkaAuth" $ctx }}
- name: {{ $prefix }}KAFKA_SECURITY_PROTOCOL
  value: SASL_PLAINTEXT
- name: {{ $prefix }}KAFKA_SASL_MECHANISM
  value: SCRAM-SHA-512
- name: {{ $prefix }}KAFKA_SASL_USERNAME
  value: {{ $user }}
- name: {{ $prefix }}KAFKA_SASL_PASSWORD_FILE
  value: {{ include "questlog.kafkaCredentialsDir" $ctx }}/{{ $user }}-password
{{- end }}
{{- end -}}

{{/* The volume of the Kafka credentials Secret, with the keys of the given users only.
Usage: include "questlog.kafkaCredentialsVolume" (list $ "api") */}}
{{- define "questlog.kafkaCredentialsVolume" -}}
{{- $ctx := index . 0 -}}
{{- if include "questlog.kafkaAuth" $ctx }}
- name: kafka-credentials
  secret:
    secretName: {{ include "questlog.kafkaSecret" $ctx }}
    defaultMode: 0440
    items:
      {{- range $user := rest . }}
      - key: {{ $user }}-password
        path: {{ $user }}-password
      {{- end }}
{{- end }}
{{- end -}}

{{/* The mount of that volume (read-only). */}}
{{- define "questlog.kafkaCredentialsMount" -}}
{{- if include "questlog.kafkaAuth" . }}
- name: kafka-credentials
  mountPath: {{ include "questlog.kafkaCredentialsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* true when Trino is locked (global.trinoAuth.enabled), else empty. */}}
{{- define "questlog.trinoAuth" -}}
{{- if (.Values.global.trinoAuth | default dict).enabled -}}true{{- end -}}
{{- end -}}

{{/* Name of the Secret with Trino's password file, shared secret and passwords (global.trinoAuth). */}}
{{- define "questlog.trinoSecret" -}}
{{- $auth := .Values.global.trinoAuth | default dict -}}
{{- if $auth.existingSecret -}}
{{- $auth.existingSecret -}}
{{- else -}}
{{- include "questlog.componentName" (list . "trino-credentials") -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret with Trino's HTTPS certificate (tls-combined.pem, ca.crt). */}}
{{- define "questlog.trinoTlsSecret" -}}
{{- $tls := (.Values.global.trinoAuth | default dict).tls | default dict -}}
{{- if $tls.existingSecret -}}
{{- $tls.existingSecret -}}
{{- else -}}
{{- include "questlog.componentName" (list . "trino-tls") -}}
{{- end -}}
{{- end -}}

{{/* The URL clients query Trino at: https on trinoHttps when locked, else http. */}}
{{- define "questlog.trinoUrl" -}}
{{- if include "questlog.trinoAuth" . -}}
https://{{ include "questlog.endpoint" (list . "trino" "trinoHttps") }}
{{- else -}}
http://{{ include "questlog.endpoint" (list . "trino" "trino") }}
{{- end -}}
{{- end -}}

{{/* The read-only Trino user the helm tests log in as (the first readOnlyUsers entry). */}}
{{- define "questlog.trinoTestUser" -}}
{{- first ((.Values.global.trinoAuth | default dict).readOnlyUsers | default list) | default "" | required "global.trinoAuth.readOnlyUsers needs at least one user (the helm tests log in as the first)" -}}
{{- end -}}

{{/*
Volumes of a client of the locked Trino (empty when Trino is open): one user's password (file
`password`) and the release's CA (`ca.crt`). Usage: include "questlog.trinoClientVolumes" (list $ "pipeline")
*/}}
{{- define "questlog.trinoClientVolumes" -}}
{{- $ctx := index . 0 -}}
{{- if include "questlog.trinoAuth" $ctx }}
- name: trino-credentials
  secret:
    secretName: {{ include "questlog.trinoSecret" $ctx }}
    defaultMode: 0440
    items:
      - key: {{ index . 1 }}-password
        path: password
- name: trino-tls
  secret:
    secretName: {{ include "questlog.trinoTlsSecret" $ctx }}
    defaultMode: 0440
    items:
      - {key: ca.crt, path: ca.crt}
{{- end }}
{{- end -}}

{{/* Their mounts (read-only): /etc/questlog/trino-credentials/password and /etc/questlog/trino-tls/ca.crt. */}}
{{- define "questlog.trinoClientMounts" -}}
{{- if include "questlog.trinoAuth" . }}
- name: trino-credentials
  mountPath: /etc/questlog/trino-credentials
  readOnly: true
- name: trino-tls
  mountPath: /etc/questlog/trino-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* true when HDFS checks permissions (global.hdfsPermissions.enabled), else empty. */}}
{{- define "questlog.hdfsPermissions" -}}
{{- if (.Values.global.hdfsPermissions | default dict).enabled -}}true{{- end -}}
{{- end -}}

{{/* The group of the pipeline's HDFS users (static mapping on the NameNode). */}}
{{- define "questlog.hdfsLakeGroup" -}}questlog-lake{{- end -}}

{{/*
Environment of an HDFS client or daemon acting as one HDFS user (simple authentication reads
HADOOP_USER_NAME), when HDFS permissions are on. Usage: include "questlog.hdfsUserEnv" (list $ "questlog-trino")
*/}}
{{- define "questlog.hdfsUserEnv" -}}
{{- if include "questlog.hdfsPermissions" (index . 0) }}
- name: HADOOP_USER_NAME
  value: {{ index . 1 }}
{{- end }}
{{- end -}}

{{/* Hadoop client settings of the pipeline's components when HDFS permissions are on: files and
directories they create are readable and writable by the lake group, nothing for others. */}}
{{- define "questlog.hdfsClientConfig" -}}
{{- if include "questlog.hdfsPermissions" . }}
fs.permissions.umask-mode: {{ include "questlog.hdfsUmask" . | quote }}
{{- end }}
{{- end -}}

{{/* The umask of the pipeline's HDFS clients (the stream takes it as QUESTLOG_STREAM_HDFS_UMASK). */}}
{{- define "questlog.hdfsUmask" -}}007{{- end -}}
