{{/*
A helm test pod: runs files/tests/check.py CHECK in the API image, with the addresses of the
release's services. Usage: include "questlog.testPod" (list $ "pipeline" weight)
*/}}
{{- define "questlog.testPod" -}}
{{- $ctx := index . 0 -}}
{{- $check := index . 1 -}}
{{- $auth := $ctx.Values.global.apiAuth -}}
{{- $trinoLocked := include "questlog.trinoAuth" $ctx -}}
apiVersion: v1
kind: Pod
metadata:
  {{- include "questlog.metadata" (list $ctx "test" $check) | nindent 2 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-weight: {{ index . 2 | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  {{- include "questlog.imagePullSecrets" $ctx | nindent 2 }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    # the mounted Secrets (mode 0440) belong to this group
    fsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: check
      image: {{ include "questlog.image" (list $ctx $ctx.Values.tests.image) }}
      imagePullPolicy: {{ $ctx.Values.tests.image.pullPolicy }}
      command: [python3, /tests/check.py, {{ $check }}]
      env:
        - name: TEST_KAFKA
          value: {{ include "questlog.endpoint" (list $ctx "kafka" "kafka") | quote }}
        - name: TEST_TOPIC
          value: {{ $ctx.Values.global.topics.events | quote }}
        - name: TEST_DLQ_TOPIC
          value: {{ $ctx.Values.global.topics.dlq | quote }}
        - name: TEST_ERASURES_TOPIC
          value: {{ $ctx.Values.global.topics.erasures | quote }}
        - name: TEST_NAMENODE_HTTP
          value: {{ include "questlog.endpoint" (list $ctx "hdfs-namenode" "namenodeHttp") | quote }}
        - name: TEST_METASTORE
          value: {{ include "questlog.endpoint" (list $ctx "metastore" "metastore") | quote }}
        - name: TEST_TRINO_URL
          value: {{ include "questlog.trinoUrl" $ctx | quote }}
        {{- if $trinoLocked }}
        {{- /* Trino is locked: a read-only user over HTTPS, trusting the release's CA. */}}
        - name: TEST_TRINO_USER
          value: {{ include "questlog.trinoTestUser" $ctx | quote }}
        - name: TEST_TRINO_PASSWORD_FILE
          value: /etc/questlog/trino-credentials/password
        - name: TEST_TRINO_CA_FILE
          value: /etc/questlog/trino-tls/ca.crt
        {{- end }}
        - name: TEST_API
          value: {{ include "questlog.endpoint" (list $ctx "api" "api") | quote }}
        - name: TEST_TIMEOUT
          value: {{ $ctx.Values.tests.pipelineTimeoutSeconds | quote }}
        - name: PYTHONDONTWRITEBYTECODE
          value: "1"
        {{- /* The checks use the API's Kafka user: Describe on the pipeline's topics, nothing more. */ -}}
        {{- include "questlog.kafkaClientEnv" (list $ctx "TEST_" "api") | nindent 8 }}
        {{- if $auth.enabled }}
        - name: TEST_API_KEY_FILE
          value: /etc/questlog/api-keys/keys
        {{- end }}
      resources:
        {{- toYaml $ctx.Values.tests.resources | nindent 8 }}
      securityContext:
        runAsNonRoot: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
      volumeMounts:
        - name: tests
          mountPath: /tests
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- if $auth.enabled }}
        - name: api-keys
          mountPath: /etc/questlog/api-keys
          readOnly: true
        {{- end }}
        {{- include "questlog.kafkaCredentialsMount" $ctx | nindent 8 }}
        {{- include "questlog.trinoClientMounts" $ctx | nindent 8 }}
  volumes:
    - name: tests
      configMap:
        name: {{ include "questlog.componentName" (list $ctx "tests") }}
    - name: tmp
      emptyDir:
        sizeLimit: 16Mi
    {{- if $auth.enabled }}
    - name: api-keys
      secret:
        secretName: {{ include "questlog.apiKeysSecret" $ctx }}
        defaultMode: 0440
    {{- end }}
    {{- include "questlog.kafkaCredentialsVolume" (list $ctx "api") | nindent 4 }}
    {{- if $trinoLocked }}
    {{- include "questlog.trinoClientVolumes" (list $ctx (include "questlog.trinoTestUser" $ctx)) | nindent 4 }}
    {{- end }}
{{- end -}}
