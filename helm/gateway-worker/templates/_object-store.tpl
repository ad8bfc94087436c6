{{/*
The object store (docs/object-storage.md): OBJECT_STORE_URL, and for s3:// the S3_* keys with
the credentials from a Secret; for file:// the volume mounted at the URL's path. A file:// URL
without a claim is refused: the root filesystem is read-only, and an emptyDir would lose every
archive with the pod.
*/}}
{{- define "gateway-worker.objectStorePath" -}}
{{- trimPrefix "file://" .Values.objectStore.url }}
{{- end }}

{{- define "gateway-worker.objectStoreEnv" -}}
{{- $store := .Values.objectStore }}
{{- if $store.url }}
- name: OBJECT_STORE_URL
  value: {{ $store.url | quote }}
{{- end }}
{{- if hasPrefix "file://" $store.url }}
{{- if not $store.existingClaim }}
{{- fail (printf "objectStore.url %s needs objectStore.existingClaim: a PersistentVolumeClaim to mount at %s (the root filesystem is read-only)" $store.url (include "gateway-worker.objectStorePath" .)) }}
{{- end }}
{{- end }}
{{- if hasPrefix "s3://" $store.url }}
{{- with $store.s3.endpoint }}
- name: S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: S3_REGION
  value: {{ $store.s3.region | quote }}
- name: S3_FORCE_PATH_STYLE
  value: {{ $store.s3.forcePathStyle | quote }}
{{- with $store.s3.existingSecret }}
- name: S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $store.s3.accessKeyIdKey }}
- name: S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $store.s3.secretAccessKeyKey }}
{{- end }}
{{- if $store.s3.caSecret }}
- name: S3_CA_FILE
  value: /etc/gateway-worker/s3-ca/{{ $store.s3.caKey }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gateway-worker.objectStoreMounts" -}}
{{- $store := .Values.objectStore }}
{{- if hasPrefix "file://" $store.url }}
- name: object-store
  mountPath: {{ include "gateway-worker.objectStorePath" . }}
{{- end }}
{{- if and (hasPrefix "s3://" $store.url) $store.s3.caSecret }}
- name: s3-ca
  mountPath: /etc/gateway-worker/s3-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "gateway-worker.objectStoreVolumes" -}}
{{- $store := .Values.objectStore }}
{{- if hasPrefix "file://" $store.url }}
- name: object-store
  persistentVolumeClaim:
    claimName: {{ $store.existingClaim }}
{{- end }}
{{- if and (hasPrefix "s3://" $store.url) $store.s3.caSecret }}
- name: s3-ca
  secret:
    secretName: {{ $store.s3.caSecret }}
    items:
      - key: {{ $store.s3.caKey }}
        path: {{ $store.s3.caKey }}
{{- end }}
{{- end }}
