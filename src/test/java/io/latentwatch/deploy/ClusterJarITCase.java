package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.Records;
import io.latentwatch.pipeline.kafka.AvroRecords;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged artifacts for a cluster (after {@code mvn package}): the cluster job jar holds the job and the Kafka
 * connector but neither Flink nor DJL nor any native library nor the development tools; target/flink-lib/{cpu,cuda}
 * hold what goes to Flink's lib/; the CLI jar the launcher runs is still the complete one.
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
                "org/apache/flink/connector/kafka/", "org/apache/kafka/clients/", "picocli/", "org/apache/avro/", "avro/latents.avsc")) {
            assertTrue(any(e, needed), jar.getFileName() + " lacks " + needed);
        }
        for (String provided : List.of("ai/djl/", "pytorch/", "native/lib/", "jnilib/", "org/apache/flink/runtime/",
                "org/apache/flink/streaming/api/", "org/apache/flink/api/common/", "org/apache/flink/configuration/",
                "org/apache/flink/connector/base/", "com/github/luben/", "net/jpountz/", "com/google/gson/", "com/sun/jna/",
                "kafka/server/", "kafka/log/", "org/apache/kafka/raft/", "org/apache/kafka/controller/", "scala/", "org/slf4j/", "org/apache/logging/")) {
            assertTrue(!any(e, provided), jar.getFileName() + " must not contain " + provided
                    + " (Flink's lib/ of the image has it, or only the development broker needs it)");
        }
        assertFalse(any(e, "io/latentwatch/dev/"), jar.getFileName() + " must not contain the development broker and producer (io/latentwatch/dev/)");
        List<String> natives = e.stream().filter(n -> n.endsWith(".so") || n.endsWith(".dylib") || n.endsWith(".dll") || n.endsWith(".jnilib"))
                .collect(Collectors.toList());
        assertEquals(List.of(), natives, "native libraries in the cluster jar");
        System.out.printf("%s: %d entries, %.1f MB%n", jar.getFileName(), e.size(), Files.size(jar) / 1e6);
    }

    /**
     * What Flink's lib/ and the cluster jar hold together, without the development tools: the CLI starts (its commands
     * that need the development broker or producer left out), and so does the job, from its main class with the
     * flags of the one table, scoring frames from a real broker on a local Flink. With {@code --value-format avro}:
     * that path needs a library of the cluster jar's own (Avro), the JSON one only what lib/ has.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void theCliAndTheJobStartFromTheClusterJarWithoutTheDevelopmentTools(@TempDir Path tmp) throws Exception {
        String classpath = jar("-cluster") + File.pathSeparator + StandaloneFlinkCluster.libClasspath(TARGET.resolve("flink-lib/cpu"));

        Finished help = java(tmp, classpath, "io.latentwatch.cli.LatentwatchCommand", "--help");
        assertEquals(0, help.code, help.output);
        assertTrue(help.output.contains("  run ") && help.output.contains("  train "), help.output);
        for (String dev : List.of("  demo ", "  broker ", "  produce ")) {
            assertFalse(help.output.contains(dev), dev.trim() + " needs io.latentwatch.dev, which the cluster jar leaves out:\n" + help.output);
        }
        Finished runHelp = java(tmp, classpath, "io.latentwatch.cli.LatentwatchCommand", "run", "--help");
        assertEquals(0, runHelp.code, runHelp.output);
        assertTrue(runHelp.output.contains("--max-batch-size=N"), runHelp.output);

        Path model = tmp.resolve("model");
        DipVaeConfig config = DipVaeConfig.builder().inChannels(1).imageSize(32).latentDim(4).hiddenDims(8, 8).build();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.write(model, new DipVae(config).initialize(m), ModelMetadata.initial(config, null));
        }
        int total = 20;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            Path log = tmp.resolve("job.log");
            Process job = start(classpath, log, "io.latentwatch.pipeline.ScoringJob", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--model", model.toString(), "--threshold", "0.05", "--device", "cpu", "--from-beginning", "--checkpoint-interval", "500ms", "--value-format", "avro",
                    "--rest.bind-port", "0");
            try {
                ClusterRuns.produce(kafka, TestModels.camera().build(), List.of("cam-0"), 0, total, 0, new AtomicInteger());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                for (int scored = 0; scored < total; scored = Records.readCommitted(kafka.clientProperties(), "latents").size()) {
                    if (!job.isAlive()) {
                        throw new AssertionError("the job ended with exit code " + job.exitValue() + ":\n" + tail(log));
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError(scored + " of " + total + " latents records within 180 s:\n" + tail(log));
                    }
                    Thread.sleep(500);
                }
                byte[] value = Records.readCommitted(kafka.clientProperties(), "latents").get(0).value();
                GenericRecord latents = new GenericDatumReader<GenericRecord>(AvroRecords.latentsSchema())
                        .read(null, DecoderFactory.get().binaryDecoder(value, null));
                assertEquals(4, ((List<?>) latents.get("mu")).size(), "an Avro latents record of the latent dimension: " + latents);
            } finally {
                job.destroyForcibly();
                job.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private record Finished(int code, String output) {}

    /** Runs a main class on the classpath to its end (at most a minute), its output and error together. */
    private static Finished java(Path dir, String classpath, String mainClass, String... args) throws Exception {
        Path log = Files.createTempFile(dir, "java-", ".log");
        Process p = start(classpath, log, mainClass, args);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(mainClass + " did not end within 60 s:\n" + tail(log));
        }
        return new Finished(p.exitValue(), Files.readString(log));
    }

    /** Starts a JVM as Flink's scripts start one, on a classpath, output and error to the log. */
    private static Process start(String classpath, Path log, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        cmd.addAll(StandaloneFlinkCluster.JAVA_OPTS);
        cmd.addAll(List.of("-cp", classpath, mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
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
