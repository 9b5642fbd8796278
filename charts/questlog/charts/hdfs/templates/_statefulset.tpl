{{/*
StatefulSet of an HDFS role. Both roles run the same image and config; the role is the argument
of the image's entrypoint (namenode formats its volume on first start, never again).
Usage: include "hdfs.statefulset" (dict "ctx" $ "role" "namenode" "replicas" 1 "values" .Values.namenode "ports" (list ...))
*/}}
{{- define "hdfs.statefulset" -}}
{{- $ctx := .ctx -}}
{{- $component := printf "hdfs-%s" .role -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  {{- include "questlog.metadata" (list $ctx $component) | nindent 2 }}
spec:
  replicas: {{ .replicas }}
  serviceName: {{ include "questlog.componentName" (list $ctx $component) }}
  podManagementPolicy: Parallel
  selector:
    matchLabels:
      {{- include "questlog.selectorLabels" (list $ctx $component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "questlog.labels" (list $ctx $component) | nindent 8 }}
      annotations:
        checksum/config: {{ include "questlog.checksum" (list $ctx "configmap.yaml") }}
        {{- with $ctx.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "questlog.componentName" (list $ctx $component) }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 60
      {{- include "questlog.podSpecCommon" (list $ctx $component) | nindent 6 }}
      containers:
        - name: {{ .role }}
          image: {{ include "questlog.image" (list $ctx $ctx.Values.image) }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          args: [{{ .role }}]
          env:
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
            - name: HADOOP_HEAP
              value: {{ $v.heap | quote }}
            {{- /* The daemons act as HDFS user `hdfs`: the NameNode's login user is the super user. */ -}}
            {{- include "questlog.hdfsUserEnv" (list $ctx "hdfs") | nindent 12 }}
          ports:
            {{- range .ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
            {{- end }}
          livenessProbe:
            {{- toYaml $v.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml $v.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $ctx.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/hadoop/conf
              readOnly: true
            - name: data
              mountPath: /var/lib/questlog/data
            - name: tmp
              mountPath: /var/lib/questlog/tmp
            - name: logs
              mountPath: /var/lib/questlog/log
            - name: scratch
              mountPath: /tmp
      volumes:
        - name: config
          configMap:
            name: {{ include "questlog.componentName" (list $ctx "hdfs") }}
        - name: tmp
          emptyDir:
            sizeLimit: 1Gi
        - name: logs
          emptyDir:
            sizeLimit: 256Mi
        - name: scratch
          emptyDir:
            sizeLimit: 256Mi
        {{- if not $v.persistence.enabled }}
        - name: data
          emptyDir: {}
        {{- end }}
  {{- if $v.persistence.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- include "questlog.selectorLabels" (list $ctx $component) | nindent 10 }}
      spec:
        accessModes: [ReadWriteOnce]
        {{- with $v.persistence.storageClass }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.persistence.size }}
  {{- end }}
{{- end -}}
