package io.latentwatch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates Kubernetes manifests the way the API server and the operators would take them: custom resources
 * against their CRD's schema ({@link CrdSchemas}), core and Prometheus Operator kinds through fabric8's models
 * ({@link Fabric8Strict}), metadata names by Kubernetes' naming rule, Flink configuration keys against Flink 2.2
 * ({@link FlinkConfigKeys}), and a kustomization's file references (a directory it lists is validated as a
 * kustomization too; the files of its ConfigMap generators must lie inside its directory, as kustomize requires). A kind it has no validator for is an error,
 * so that no manifest goes unchecked.
 */
final class ManifestValidator {

    /** RFC 1123 subdomain: what Kubernetes accepts as metadata.name of these kinds. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private static final Map<String, Class<?>> CORE_KINDS = Map.of(
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "apps/v1/Deployment", Deployment.class,
            "monitoring.coreos.com/v1/PodMonitor", PodMonitor.class,
            "monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class);

    private static final Set<String> KUSTOMIZATION_FIELDS = Set.of("apiVersion", "kind", "metadata", "namespace",
            "namePrefix", "nameSuffix", "resources", "components", "labels", "commonLabels", "commonAnnotations",
            "images", "replicas", "patches", "configMapGenerator", "secretGenerator", "generatorOptions");
    private static final Set<String> GENERATOR_FIELDS = Set.of("name", "namespace", "behavior", "files", "literals", "envs", "options");
    private static final Set<String> GENERATOR_OPTIONS_FIELDS = Set.of("labels", "annotations", "disableNameSuffixHash", "immutable");

    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestValidator() {}

    /** Every problem in one manifest file, each prefixed by the file, the document and the resource. */
    static List<String> validate(Path file) {
        return validate(file, DeployFiles.read(file));
    }

    /** Every problem in {@code yaml}, as if it were the file {@code file} (used for broken copies). */
    @SuppressWarnings("unchecked")
    static List<String> validate(Path file, String yaml) {
        List<String> errors = new ArrayList<>();
        List<Object> docs;
        try {
            docs = DeployFiles.loadAll(yaml);
        } catch (RuntimeException e) {
            errors.add(file.getFileName() + ": not YAML: " + e.getMessage());
            return errors;
        }
        if (docs.isEmpty()) {
            errors.add(file.getFileName() + ": no document");
        }
        for (int i = 0; i < docs.size(); i++) {
            if (!(docs.get(i) instanceof Map)) {
                errors.add(file.getFileName() + " document " + (i + 1) + ": not a mapping");
                continue;
            }
            Map<String, Object> doc = (Map<String, Object>) docs.get(i);
            String apiVersion = String.valueOf(doc.get("apiVersion"));
            String kind = String.valueOf(doc.get("kind"));
            String where = file.getFileName() + " document " + (i + 1) + " (" + kind + " " + DeployFiles.at(doc, "metadata", "name") + "): ";
            for (String e : validateResource(file, apiVersion, kind, doc)) {
                errors.add(where + e);
            }
        }
        return errors;
    }

    private static List<String> validateResource(Path file, String apiVersion, String kind, Map<String, Object> doc) {
        List<String> errors = new ArrayList<>();
        if (apiVersion.equals("kustomize.config.k8s.io/v1beta1") && kind.equals("Kustomization")) {
            kustomization(file, doc, errors);
            return errors;
        }
        metadata(doc, errors);
        JsonSchema schema = CrdSchemas.forResource(apiVersion, kind);
        Class<?> model = CORE_KINDS.get(apiVersion + "/" + kind);
        if (schema != null) {
            Map<String, Object> body = new LinkedHashMap<>(doc);
            // the API server takes apiVersion, kind and metadata from every object itself (metadata is checked above);
            // fabric8-generated CRDs such as FlinkDeployment's do not list them
            body.remove("apiVersion");
            body.remove("kind");
            body.remove("metadata");
            JsonNode node = JSON.valueToTree(body);
            for (ValidationMessage m : schema.validate(node)) {
                errors.add(m.getMessage());
            }
        } else if (model != null) {
            errors.addAll(Fabric8Strict.check(doc, model));
        } else {
            errors.add("no validator for apiVersion " + apiVersion + ", kind " + kind);
            return errors;
        }
        if (kind.equals("FlinkDeployment")) {
            Object conf = DeployFiles.at(doc, "spec", "flinkConfiguration");
            if (conf instanceof Map) {
                for (Object key : ((Map<?, ?>) conf).keySet()) {
                    if (!FlinkConfigKeys.get().isKnown(String.valueOf(key))) {
                        errors.add("spec.flinkConfiguration: " + key + " is not a Flink 2.2 configuration key");
                    }
                }
            }
        }
        return errors;
    }

    @SuppressWarnings("unchecked")
    private static void metadata(Map<String, Object> doc, List<String> errors) {
        Object meta = doc.get("metadata");
        if (!(meta instanceof Map)) {
            errors.add("metadata is missing");
            return;
        }
        for (String e : Fabric8Strict.check((Map<String, Object>) meta, ObjectMeta.class)) {
            errors.add("metadata: " + e);
        }
        Object name = ((Map<?, ?>) meta).get("name");
        if (name == null || !DNS_SUBDOMAIN.matcher(name.toString()).matches() || name.toString().length() > 253) {
            errors.add("metadata.name " + name + " is not a valid Kubernetes name (lower case letters, digits, '-', '.')");
        }
        Object namespace = ((Map<?, ?>) meta).get("namespace");
        if (namespace != null && !DNS_LABEL.matcher(namespace.toString()).matches()) {
            errors.add("metadata.namespace " + namespace + " is not a valid namespace name");
        }
    }

    private static void kustomization(Path file, Map<String, Object> doc, List<String> errors) {
        for (String field : doc.keySet()) {
            if (!KUSTOMIZATION_FIELDS.contains(field)) {
                errors.add("unknown Kustomization field " + field);
            }
        }
        Object namespace = doc.get("namespace");
        if (namespace != null && !DNS_LABEL.matcher(namespace.toString()).matches()) {
            errors.add("namespace " + namespace + " is not a valid namespace name");
        }
        Object resources = doc.get("resources");
        if (resources instanceof List) {
            for (Object r : (List<?>) resources) {
                Path p = file.resolveSibling(String.valueOf(r));
                if (Files.isDirectory(p)) {
                    Path nested = p.resolve("kustomization.yaml");
                    if (Files.isRegularFile(nested)) {
                        validate(nested).forEach(e -> errors.add("resource " + r + ": " + e));
                    } else {
                        errors.add("resource " + r + " is a directory without kustomization.yaml");
                    }
                } else if (!Files.isRegularFile(p)) {
                    errors.add("resource " + r + " does not exist");
                }
            }
        } else if (resources != null) {
            errors.add("resources must be a list");
        }
        configMapGenerators(file, doc.get("configMapGenerator"), errors);
        Object options = doc.get("generatorOptions");
        if (options instanceof Map) {
            for (Object field : ((Map<?, ?>) options).keySet()) {
                if (!GENERATOR_OPTIONS_FIELDS.contains(String.valueOf(field))) {
                    errors.add("unknown generatorOptions field " + field);
                }
            }
        } else if (options != null) {
            errors.add("generatorOptions must be a mapping");
        }
    }

    private static void configMapGenerators(Path file, Object generators, List<String> errors) {
        if (generators == null) {
            return;
        }
        if (!(generators instanceof List)) {
            errors.add("configMapGenerator must be a list");
            return;
        }
        Path root = file.toAbsolutePath().normalize().getParent();
        for (Object g : (List<?>) generators) {
            if (!(g instanceof Map)) {
                errors.add("configMapGenerator: an entry is not a mapping");
                continue;
            }
            Map<?, ?> generator = (Map<?, ?>) g;
            generator.keySet().stream().filter(f -> !GENERATOR_FIELDS.contains(String.valueOf(f)))
                    .forEach(f -> errors.add("unknown configMapGenerator field " + f));
            Object name = generator.get("name");
            if (name == null || !DNS_SUBDOMAIN.matcher(name.toString()).matches()) {
                errors.add("configMapGenerator name " + name + " is not a valid Kubernetes name");
            }
            Object files = generator.get("files");
            for (Object f : files instanceof List ? (List<?>) files : List.of()) {
                // [KEY=]PATH; kustomize loads only files inside the kustomization's directory
                String entry = String.valueOf(f);
                Path p = root.resolve(entry.substring(entry.indexOf('=') + 1)).normalize();
                if (!p.startsWith(root)) {
                    errors.add("configMapGenerator " + name + ": file " + entry + " is outside " + root.getFileName() + "/ (kustomize refuses it)");
                } else if (!Files.isRegularFile(p)) {
                    errors.add("configMapGenerator " + name + ": file " + entry + " does not exist");
                }
            }
        }
    }
}
