package io.latentwatch.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The deployment files of the repository (deploy/, docker-compose.yml) and YAML reading. */
final class DeployFiles {

    private DeployFiles() {}

    /** The repository root: Maven runs the tests there. */
    static Path root() {
        return Paths.get("").toAbsolutePath();
    }

    static Path k8sDir() {
        return root().resolve("deploy/k8s");
    }

    static Path compose() {
        return root().resolve("docker-compose.yml");
    }

    static Path dockerfile() {
        return root().resolve("deploy/Dockerfile");
    }

    /** Every Kubernetes manifest: the .yaml and .yml files under deploy/k8s, sorted. */
    static List<Path> kubernetesManifests() {
        try (Stream<Path> files = Files.walk(k8sDir())) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All documents of a YAML stream (YAML 1.2, as Flink reads its config.yaml); empty documents are left out. */
    static List<Object> loadAll(String yaml) {
        List<Object> docs = new ArrayList<>();
        for (Object doc : new Load(LoadSettings.builder().setLabel("yaml").build()).loadAllFromString(yaml)) {
            if (doc != null) {
                docs.add(doc);
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> loadOne(Path file) {
        List<Object> docs = loadAll(read(file));
        if (docs.size() != 1 || !(docs.get(0) instanceof Map)) {
            throw new IllegalArgumentException(file + ": expected one YAML mapping, found " + docs.size() + " documents");
        }
        return (Map<String, Object>) docs.get(0);
    }

    /** The value at a path of mapping keys and list indexes, or null where the path does not lead anywhere. */
    static Object at(Object node, Object... path) {
        Object cur = node;
        for (Object step : path) {
            if (step instanceof Integer && cur instanceof List) {
                List<?> list = (List<?>) cur;
                int i = (Integer) step;
                cur = i < list.size() ? list.get(i) : null;
            } else if (cur instanceof Map) {
                cur = ((Map<?, ?>) cur).get(step);
            } else {
                return null;
            }
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node, Object... path) {
        Object v = at(node, path);
        if (!(v instanceof Map)) {
            throw new AssertionError("no mapping at " + List.of(path));
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node, Object... path) {
        Object v = at(node, path);
        if (!(v instanceof List)) {
            throw new AssertionError("no list at " + List.of(path));
        }
        return (List<Object>) v;
    }
}
