{{/*
The chart's name, and the full name every object is called: the release name, followed by the
chart name unless the release name already contains it ("gateway-worker" stays "gateway-worker",
"gw-a" becomes "gw-a-gateway-worker"). Cluster-scoped objects use the full name too, so two
releases never fight over a ClusterRole.
*/}}
{{- define "gateway-worker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gateway-worker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gateway-worker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of a release (a Deployment's selector is immutable). */}}
{{- define "gateway-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The standard labels on every object. */}}
{{- define "gateway-worker.labels" -}}
helm.sh/chart: {{ include "gateway-worker.chart" . }}
{{ include "gateway-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: gateway-worker
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gateway-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gateway-worker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is set; the tag defaults to appVersion. */}}
{{- define "gateway-worker.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* gateway-worker.watchRules, the RBAC rules where the controllers watch, is generated: _watch-rules.tpl. */}}

{{/* "true" when no PostgreSQL is configured: the operator then runs the embedded store. */}}
{{- define "gateway-worker.embeddedStore" -}}
{{- if and (not .Values.database.url) (not .Values.database.existingSecret) }}true{{- end }}
{{- end }}

{{/* The Secret and key that hold DATABASE_URL: the user's, or the one the chart makes from database.url. */}}
{{- define "gateway-worker.databaseSecretName" -}}
{{- default (printf "%s-database" (include "gateway-worker.fullname" .)) .Values.database.existingSecret }}
{{- end }}
{{- define "gateway-worker.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}
