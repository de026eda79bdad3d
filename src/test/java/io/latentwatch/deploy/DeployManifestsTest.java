package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every Kubernetes manifest in deploy/k8s validates ({@link ManifestValidator}), and copies with one deliberate
 * mistake each do not: the validators must be able to fail.
 */
class DeployManifestsTest {

    @Test
    void everyKubernetesManifestIsValid() {
        List<Path> files = DeployFiles.kubernetesManifests();
        assertTrue(files.size() >= 6, "expected the manifests of deploy/k8s, found " + files);
        List<String> errors = new ArrayList<>();
        int resources = 0;
        for (Path f : files) {
            errors.addAll(ManifestValidator.validate(f));
            resources += DeployFiles.loadAll(DeployFiles.read(f)).size();
        }
        assertEquals(List.of(), errors, "invalid manifests");
        System.out.printf("deploy/k8s: %d files, %d resources valid%n", files.size(), resources);
    }

    /** file under deploy/k8s | text replaced (first occurrence) | replacement | expected in an error */
    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            flink-deployment.yaml          | '  taskManager:'                      | '  taskManger:'                       | taskManger
            flink-deployment.yaml          | 'flinkVersion: v2_2'                  | 'flinkVersion: v2_9'                  | flinkVersion
            flink-deployment.yaml          | '    replicas: 2'                     | '    replicas: two'                   | replicas
            flink-deployment.yaml          | 'volumeMounts:'                       | 'volumeMount:'                        | volumeMount
            flink-deployment.yaml          | 'nvidia.com/gpu: 1'                   | 'nvidia.com/gpu: [1]'                 | nvidia.com/gpu
            flink-deployment.yaml          | 'upgradeMode: last-state'             | 'upgradeMode: latest-state'           | upgradeMode
            flink-deployment.yaml          | 'execution.checkpointing.interval:'   | 'execution.checkpointing.intervall:'  | execution.checkpointing.intervall
            flink-deployment.yaml          | 'high-availability.type: kubernetes'  | 'high-availability.typ: kubernetes'   | high-availability.typ
            flink-deployment.yaml          | '  name: latentwatch'                 | '  name: Latentwatch'                 | metadata.name
            kafka-topics.yaml              | 'partitions: 8'                       | 'partitions: 0'                       | partitions
            kafka-topics.yaml              | '  replicas: 3'                       | '  replica: 3'                        | replica
            kafka-topics.yaml              | '  labels:'                           | '  label:'                            | label
            kafka-topics.yaml              | 'spec:'                               | 'spek:'                               | spek
            kafka-users.yaml               | 'operations: [Read, Describe, DescribeConfigs]' | 'operatons: [Read, Describe, DescribeConfigs]' | operatons
            kafka-users.yaml               | '[Read, Describe, DescribeConfigs]'   | '[Read, Describe, DescribeConfig]'    | operations
            kafka-users.yaml               | 'type: topic'                         | 'type: topics'                        | resource.type
            kafka-users.yaml               | 'type: transactionalId'               | 'type: transactionalID'               | resource.type
            kafka-users.yaml               | 'patternType: prefix'                 | 'patternType: prefixed'               | patternType
            kafka-users.yaml               | 'type: scram-sha-512'                 | 'type: scram-sha-256'                 | authentication.type
            kafka-users.yaml               | 'type: simple'                        | 'type: acl'                           | authorization.type
            kafka-users.yaml               | '  authorization:'                    | '  authorisation:'                    | authorisation
            kafka-users.yaml               | '        operations: [Read, Describe, DescribeConfigs]' | ''                   | operations
            models-pvc.yaml                | 'accessModes:'                        | 'accessMode:'                         | accessMode
            models-pvc.yaml                | 'storage: 5Gi'                        | 'storage: [5Gi]'                      | storage
            monitoring/pod-monitor.yaml    | 'podMetricsEndpoints:'                | 'podMetricEndpoints:'                 | podMetricEndpoints
            kustomization.yaml             | '- models-pvc.yaml'                   | '- model-pvc.yaml'                    | does not exist
            kustomization.yaml             | 'resources:'                          | 'resource:'                           | resource
            monitoring/kustomization.yaml  | '- ../../grafana'                     | '- ../../grafna'                      | does not exist
            ../grafana/kustomization.yaml    | 'dashboards/latentwatch.json'         | 'dashboards/latentwatch.jsn'          | does not exist
            ../grafana/kustomization.yaml    | '      - dashboards/latentwatch.json' | '      - ../../docs/deploy.md'        | outside
            ../grafana/kustomization.yaml    | 'configMapGenerator:'                 | 'configMapGenerater:'                 | configMapGenerater
            ../grafana/kustomization.yaml    | 'disableNameSuffixHash:'              | 'disableNameSufixHash:'               | disableNameSufixHash
            ../grafana/kustomization.yaml    | '  - name: latentwatch-grafana-dashboard' | '  - name: Latentwatch-Dashboard'     | not a valid Kubernetes name
            """)
    void aBrokenCopyIsRefused(String file, String from, String to, String expected) {
        Path path = DeployFiles.k8sDir().resolve(file);
        String yaml = DeployFiles.read(path);
        assertTrue(yaml.contains(from), file + " no longer contains '" + from + "': update this test");
        String broken = yaml.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to));
        List<String> errors = ManifestValidator.validate(path, broken);
        assertFalse(errors.isEmpty(), "a copy of " + file + " with '" + to + "' passed validation");
        assertTrue(errors.stream().anyMatch(e -> e.contains(expected)),
                "no error names '" + expected + "':\n" + errors.stream().collect(Collectors.joining("\n")));
    }

    @Test
    void aKindWithoutValidatorIsRefused() {
        String yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n";
        List<String> errors = ManifestValidator.validate(Path.of("pod.yaml"), yaml);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("no validator for apiVersion v1, kind Pod"), errors.get(0));
    }

    @Test
    void flinkConfigurationKeysAreThoseOfFlink22() {
        FlinkConfigKeys keys = FlinkConfigKeys.get();
        assertTrue(keys.isKnown("execution.checkpointing.dir"));
        assertTrue(keys.isKnown("high-availability.storageDir"));
        assertTrue(keys.isKnown("metrics.reporter.prom.factory.class"));
        assertTrue(keys.isKnown("metrics.reporter.prom.port"));
        assertTrue(keys.isKnown("external-resource.gpu.amount"));
        assertFalse(keys.isKnown("execution.checkpointing.intervall"));
        assertFalse(keys.isKnown("metrics.reporter.prom.factory.klass"));
    }
}
