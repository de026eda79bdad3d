package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The CLI on the class path {@code scripts/gpu-kit.sh} takes to a GPU machine: the project's classes and the jars
 * {@code scripts/gpu-kit.jars} names, nothing else (no Flink, no Kafka). A command there that reflected over Flink or
 * Kafka types stopped every command with NoClassDefFoundError, found only once a GPU session had started.
 */
class GpuKitClassPathTest {

    @Test
    void theModelCommandsRunWithoutFlinkOrKafka() throws Exception {
        try (URLClassLoader kit = new URLClassLoader(kitClassPath(), ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> kit.loadClass("org.apache.flink.configuration.Configuration"));
            assertThrows(ClassNotFoundException.class, () -> kit.loadClass("org.apache.kafka.clients.consumer.ConsumerRecord"));
            Method execute = kit.loadClass("io.latentwatch.cli.LatentwatchCommand").getMethod("execute", String[].class);

            Run help = run(execute, "--help");
            assertEquals(0, help.code, help.output);
            for (String command : new String[] {"train", "evaluate", "import-pytorch", "score-images", "models", "benchmark"}) {
                assertTrue(help.output.contains("  " + command + " "), command + " listed:\n" + help.output);
            }
            assertFalse(help.output.contains("  run "), "run needs Flink, absent here:\n" + help.output);
            // what scripts/gpu-bench.sh calls
            Run model = run(execute, "benchmark", "model", "--help");
            assertEquals(0, model.code, model.output);
            assertTrue(model.output.contains("--train-batch-sizes") && model.output.contains("--alongside-fine-tune-batch"), model.output);
            assertEquals(0, run(execute, "benchmark", "precision", "--help").code);
            assertEquals(0, run(execute, "import-pytorch", "--help").code);
            Run streaming = run(execute, "run");
            assertEquals(2, streaming.code, "an unknown command here: " + streaming.output);
            assertEquals(1, streaming.output.lines().count(), streaming.output);
        }
    }

    private static URL[] kitClassPath() throws Exception {
        List<PathMatcher> patterns = Files.readAllLines(Path.of("scripts/gpu-kit.jars")).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .map(p -> FileSystems.getDefault().getPathMatcher("glob:" + p))
                .collect(Collectors.toList());
        List<URL> urls = new ArrayList<>();
        urls.add(Path.of("target/classes").toUri().toURL());
        List<String> taken = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path name = Path.of(entry).getFileName();
            if (name != null && name.toString().endsWith(".jar") && patterns.stream().anyMatch(m -> m.matches(name))) {
                urls.add(Path.of(entry).toUri().toURL());
                taken.add(name.toString());
            }
        }
        assertTrue(taken.stream().anyMatch(n -> n.startsWith("pytorch-engine-")) && taken.stream().anyMatch(n -> n.startsWith("picocli-")),
                "the test class path holds the kit's jars: " + taken);
        assertFalse(taken.stream().anyMatch(n -> n.startsWith("pytorch-native-") || n.startsWith("flink-") || n.startsWith("kafka")),
                "the kit leaves out the CPU native library, Flink and Kafka: " + taken);
        return urls.toArray(new URL[0]);
    }

    private record Run(int code, String output) {}

    /** Runs the kit's CLI with its standard output and error captured (picocli takes them when it starts). */
    private static Run run(Method execute, String... args) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream to = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(to);
            System.setErr(to);
            int code = (Integer) execute.invoke(null, (Object) args);
            return new Run(code, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
