{{/*
Deployment of a Trino role (coordinator or worker): the image's launcher runs in the foreground with
the role's ConfigMap as its etc dir (catalogs under catalog/) and an emptyDir as its data dir.
Usage: include "trino.deployment" (dict "ctx" $ "role" "coordinator" "component" "trino" "replicas" 1 "values" .Values.coordinator)
*/}}
{{- define "trino.deployment" -}}
{{- $ctx := .ctx -}}
{{- $v := .values -}}
{{- $locked := include "questlog.trinoAuth" $ctx -}}
{{- $coordinator := eq .role "coordinator" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  {{- include "questlog.metadata" (list $ctx .component) | nindent 2 }}
spec:
  replicas: {{ .replicas }}
  {{- if eq .role "coordinator" }}
  # One coordinator: never two at once during a rollout.
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "questlog.selectorLabels" (list $ctx .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "questlog.labels" (list $ctx .component) | nindent 8 }}
      annotations:
        checksum/config: {{ include "questlog.checksum" (list $ctx (printf "configmap-%s.yaml" .role)) }}
        {{- with $ctx.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "questlog.componentName" (list $ctx "trino") }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 60
      {{- include "questlog.podSpecCommon" (list $ctx .component) | nindent 6 }}
      containers:
        - name: trino
          image: {{ include "questlog.image" (list $ctx $ctx.Values.image) }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $ctx.Values.global.ports.trino }}
            {{- if and $locked $coordinator }}
            - name: https
              containerPort: {{ $ctx.Values.global.ports.trinoHttps }}
            {{- end }}
          {{- if or $locked (include "questlog.hdfsPermissions" $ctx) }}
          env:
            {{- if $locked }}
            # signs the requests between Trino nodes (internal-communication.shared-secret)
            - name: TRINO_SHARED_SECRET
              valueFrom:
                secretKeyRef:
                  name: {{ include "questlog.trinoSecret" $ctx }}
                  key: shared-secret
            {{- end }}
            {{- /* HDFS user questlog-trino (group questlog-lake): reads the lake, writes the pipeline's tables. */ -}}
            {{- include "questlog.hdfsUserEnv" (list $ctx "questlog-trino") | nindent 12 }}
          {{- end }}
          livenessProbe:
            {{- toYaml $ctx.Values.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml $ctx.Values.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $ctx.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /var/lib/questlog/conf/trino
              readOnly: true
            - name: data
              mountPath: /var/lib/questlog/data
            - name: tmp
              mountPath: /tmp
            {{- if and $locked $coordinator }}
            - name: credentials
              mountPath: /etc/questlog/trino-credentials
              readOnly: true
            - name: tls
              mountPath: /etc/questlog/trino-tls
              readOnly: true
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "questlog.componentName" (list $ctx .component) }}
            items:
              - {key: config.properties, path: config.properties}
              - {key: node.properties, path: node.properties}
              - {key: jvm.config, path: jvm.config}
              - {key: log.properties, path: log.properties}
              - {key: hdfs-site.xml, path: hdfs-site.xml}
              - {key: lake.properties, path: catalog/lake.properties}
              - {key: tpch.properties, path: catalog/tpch.properties}
              {{- if $locked }}
              - {key: access-control.properties, path: access-control.properties}
              - {key: rules.json, path: rules.json}
              {{- if $coordinator }}
              - {key: password-authenticator.properties, path: password-authenticator.properties}
              {{- end }}
              {{- end }}
        {{- if and $locked $coordinator }}
        # Only the password file (not the users' passwords) and the server's key and certificate.
        - name: credentials
          secret:
            secretName: {{ include "questlog.trinoSecret" $ctx }}
            defaultMode: 0440
            items:
              - {key: password.db, path: password.db}
        - name: tls
          secret:
            secretName: {{ include "questlog.trinoTlsSecret" $ctx }}
            defaultMode: 0440
            items:
              - {key: tls-combined.pem, path: tls-combined.pem}
        {{- end }}
        - name: data
          emptyDir:
            sizeLimit: 2Gi
        - name: tmp
          emptyDir:
            sizeLimit: 1Gi
{{- end -}}
