package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The packaged artifacts for a cluster (after {@code mvn package}): the cluster job jar holds the job and the Kafka
 * connector but neither Flink nor DJL nor any native library; target/flink-lib/{cpu,cuda} hold what goes to
 * Flink's lib/; the CLI jar the launcher runs is still the complete one.
 */
class ClusterJarITCase {

    private static final Path TARGET = DeployFiles.root().resolve("target");

    private static Path jar(String suffix) throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            return files.filter(p -> p.getFileName().toString().matches("latentwatch-[^-]+(-SNAPSHOT)?" + suffix + "\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("no latentwatch-*" + suffix + ".jar in " + TARGET));
        }
    }

    private static Set<String> entries(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return Collections.list(j.entries()).stream().map(e -> e.getName()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static boolean any(Set<String> entries, String prefix) {
        return entries.stream().anyMatch(e -> e.startsWith(prefix));
    }

    @Test
    void clusterJarHasTheJobAndTheConnectorButNotFlinkNorDjl() throws IOException {
        Path jar = jar("-cluster");
        Set<String> e = entries(jar);
        for (String needed : List.of("io/latentwatch/model/", "io/latentwatch/pipeline/", "io/latentwatch/cli/",
                "org/apache/flink/connector/kafka/", "org/apache/kafka/clients/", "picocli/")) {
            assertTrue(any(e, needed), jar.getFileName() + " lacks " + needed);
        }
        for (String provided : List.of("ai/djl/", "pytorch/", "native/lib/", "jnilib/", "org/apache/flink/runtime/",
                "org/apache/flink/streaming/api/", "org/apache/flink/api/common/", "org/apache/flink/configuration/",
                "org/apache/flink/connector/base/", "com/github/luben/", "net/jpountz/", "com/google/gson/", "com/sun/jna/",
                "kafka/server/", "kafka/log/", "org/apache/kafka/raft/", "org/apache/kafka/controller/", "scala/", "org/slf4j/", "org/apache/logging/")) {
            assertTrue(!any(e, provided), jar.getFileName() + " must not contain " + provided
                    + " (Flink's lib/ of the image has it, or only the development broker needs it)");
        }
        List<String> natives = e.stream().filter(n -> n.endsWith(".so") || n.endsWith(".dylib") || n.endsWith(".dll") || n.endsWith(".jnilib"))
                .collect(Collectors.toList());
        assertEquals(List.of(), natives, "native libraries in the cluster jar");
        System.out.printf("%s: %d entries, %.1f MB%n", jar.getFileName(), e.size(), Files.size(jar) / 1e6);
    }

    @Test
    void theEntryClassOfTheDeploymentIsInTheClusterJar() throws IOException {
        String entryClass = String.valueOf(DeployFiles.at(
                DeployFiles.loadOne(DeployFiles.k8sDir().resolve("flink-deployment.yaml")), "spec", "job", "entryClass"));
        Set<String> e = entries(jar("-cluster"));
        Assumptions.assumeTrue(any(e, "io/latentwatch/pipeline/") && hasClass(entryClass),
                "the streaming job " + entryClass + " is not in this build yet");
        assertTrue(e.contains(entryClass.replace('.', '/') + ".class"));
    }

    private static boolean hasClass(String name) {
        try {
            Class.forName(name, false, ClusterJarITCase.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    @Test
    void flinkLibHoldsDjlAndTheJniCodecs() throws IOException {
        Set<String> cpu = names(TARGET.resolve("flink-lib/cpu"));
        Set<String> cuda = names(TARGET.resolve("flink-lib/cuda"));
        for (String prefix : List.of("api-", "pytorch-engine-", "pytorch-jni-", "jna-", "gson-", "zstd-jni-", "lz4-java-")) {
            assertTrue(cpu.stream().anyMatch(n -> n.startsWith(prefix)), "flink-lib/cpu lacks " + prefix + "*.jar: " + cpu);
            assertTrue(cuda.stream().anyMatch(n -> n.startsWith(prefix)), "flink-lib/cuda lacks " + prefix + "*.jar: " + cuda);
        }
        assertTrue(cpu.stream().anyMatch(n -> n.startsWith("pytorch-native-cpu-")), cpu.toString());
        assertTrue(cuda.stream().noneMatch(n -> n.startsWith("pytorch-native-")), "flink-lib/cuda must not bundle a native build: " + cuda);
        assertEquals(cpu.size(), cuda.size() + 1, "cpu = cuda + the CPU native library");
    }

    private static Set<String> names(Path dir) throws IOException {
        assertTrue(Files.isDirectory(dir), dir + " is missing");
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void cliJarIsStillTheCompleteOne() throws IOException {
        Path jar = jar("");
        try (JarFile j = new JarFile(jar.toFile())) {
            assertEquals("io.latentwatch.cli.LatentwatchCommand", j.getManifest().getMainAttributes().getValue("Main-Class"));
            assertTrue(j.getEntry("ai/djl/engine/Engine.class") != null, "the CLI jar lost DJL");
            assertTrue(j.getEntry("org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class") != null,
                    "the CLI jar lost Flink");
            assertTrue(j.getEntry("native/lib/pytorch.properties") != null, "the CLI jar lost the CPU native library");
        }
    }
}
