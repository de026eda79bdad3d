package io.latentwatch.deploy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A Flink standalone session cluster as separate JVM processes, the way {@code bin/jobmanager.sh} and {@code
 * bin/taskmanager.sh} start one: {@code StandaloneSessionClusterEntrypoint} and {@code TaskManagerRunner} with a
 * config.yaml directory, on a classpath that is what Flink's {@code lib/} holds in the deploy image: Flink's own jars
 * (from Maven, as the tests have them) and target/flink-lib/cpu (DJL, its CPU native library, the JNI codecs). The job
 * jar is not on it; it is submitted with {@code flink run} ({@code CliFrontend}) like on a real cluster.
 */
final class StandaloneFlinkCluster implements AutoCloseable {

    /**
     * Jars of the test classpath that Flink's lib/ does not hold: the job's (failsafe puts the packaged, shaded jar on
     * the classpath), the connector's, Avro's (the cluster jar brings it for the Avro value format), the broker's,
     * JUnit's.
     */
    private static final List<String> NOT_IN_LIB = List.of("latentwatch-", "original-latentwatch-", "flink-connector-kafka", "kafka-clients", "kafka_", "kafka-", "junit-",
            "opentest4j", "apiguardian", "picocli", "avro-", "flink-avro");

    /** The module flags Flink's scripts give every JVM (env.java.default-opts.all of the distribution's config.yaml). */
    static final List<String> JAVA_OPTS = List.of("--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED", "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final Path dir;
    private final Path conf;
    private final int restPort;
    private final String classpath;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int taskManagers;

    StandaloneFlinkCluster(Path dir, Path flinkLib, Map<String, String> settings) throws IOException {
        this.dir = dir;
        this.conf = Files.createDirectories(dir.resolve("conf"));
        this.restPort = freePort();
        this.classpath = libClasspath(flinkLib);
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "localhost");
        c.put("jobmanager.rpc.port", String.valueOf(freePort()));
        c.put("jobmanager.bind-host", "localhost");
        c.put("jobmanager.memory.process.size", "1024m");
        c.put("rest.address", "localhost");
        c.put("rest.bind-address", "localhost");
        c.put("rest.port", String.valueOf(restPort));
        c.put("taskmanager.host", "localhost");
        c.put("taskmanager.bind-host", "localhost");
        c.put("taskmanager.numberOfTaskSlots", "2");
        c.put("taskmanager.memory.process.size", "1600m");
        c.put("parallelism.default", "1");
        c.putAll(settings);
        StringBuilder yaml = new StringBuilder();
        c.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
        Files.writeString(conf.resolve("config.yaml"), yaml.toString());
    }

    Path confDir() {
        return conf;
    }

    /** Starts the JobManager process and waits until its REST endpoint answers. */
    void startJobManager() throws Exception {
        start("jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", List.of("-Xmx512m"), List.of());
        waitFor("/overview", o -> o.has("taskmanagers"), Duration.ofSeconds(90), "the JobManager's REST endpoint");
    }

    /** Starts one more TaskManager process and waits until the JobManager counts it. */
    String startTaskManager() throws Exception {
        String name = "taskmanager-" + ++taskManagers;
        // what bin/taskmanager.sh asks BashJavaUtils for: JVM memory flags and the derived memory and CPU settings
        Configuration config = GlobalConfiguration.loadConfiguration(conf.toString());
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(config);
        List<String> args = new ArrayList<>(Arrays.asList(ProcessMemoryUtils.generateJvmParametersStr(spec).trim().split("\\s+")));
        List<String> dynamic = new ArrayList<>(Arrays.asList(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec).trim().split("\\s+")));
        dynamic.addAll(List.of("-D", "taskmanager.resource-id=" + name));
        start(name, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", args, dynamic);
        waitFor("/taskmanagers", o -> o.getAsJsonArray("taskmanagers").toString().contains("\"" + name + "\""), Duration.ofSeconds(90),
                name + " registered");
        return name;
    }

    /** Kills a process at once (SIGKILL), as a crashed machine would go. */
    void kill(String name) throws InterruptedException {
        Process p = processes.remove(name);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Runs {@code flink run -d [args]} against this cluster in its own JVM (Flink's lib/ classpath, like bin/flink)
     * and returns the submitted job's id.
     */
    String submit(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx512m"));
        cmd.addAll(JAVA_OPTS);
        cmd.addAll(List.of("-cp", classpath, "org.apache.flink.client.cli.CliFrontend", "run", "-d"));
        cmd.addAll(args);
        Path log = dir.resolve("flink-run.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("FLINK_CONF_DIR", conf.toString());
        pb.environment().put("DJL_OFFLINE", "true");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("flink run did not return within 120 s:\n" + tail(log));
        }
        String out = Files.readString(log);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("JobID ([0-9a-f]{32})").matcher(out);
        if (p.exitValue() != 0 || !m.find()) {
            throw new AssertionError("flink run exited with " + p.exitValue() + ":\n" + tail(log));
        }
        return m.group(1);
    }

    /** The job's REST details (status, vertices, ...). */
    JsonObject job(String jobId) throws Exception {
        return get("/jobs/" + jobId);
    }

    /**
     * Stops the job with a canonical savepoint in {@code directory} through the REST API ({@code POST
     * /jobs/:id/stop}, what {@code flink stop --savepointPath} sends), without draining, and returns the savepoint's
     * location once the operation has completed.
     */
    String stopWithSavepoint(String jobId, String directory, Duration timeout) throws Exception {
        JsonObject body = new JsonObject();
        body.addProperty("targetDirectory", directory);
        body.addProperty("drain", false);
        body.addProperty("formatType", "CANONICAL");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(rest("/jobs/" + jobId + "/stop")))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202 && r.statusCode() != 200) {
            throw new AssertionError("POST /jobs/" + jobId + "/stop: HTTP " + r.statusCode() + " " + r.body());
        }
        String trigger = JsonParser.parseString(r.body()).getAsJsonObject().get("request-id").getAsString();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject status = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if ("COMPLETED".equals(status.getAsJsonObject("status").get("id").getAsString())) {
                JsonObject operation = status.getAsJsonObject("operation");
                if (operation.has("failure-cause")) {
                    throw new AssertionError("stop with a savepoint failed: " + operation.get("failure-cause") + "\njobmanager log:\n"
                            + tail("jobmanager"));
                }
                return operation.get("location").getAsString();
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no savepoint of " + jobId + " within " + timeout + "; jobmanager log:\n" + tail("jobmanager"));
    }

    /** The job's vertices (name, parallelism, id, ...) as the REST API lists them. */
    List<JsonObject> vertices(String jobId) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        job(jobId).getAsJsonArray("vertices").forEach(v -> out.add(v.getAsJsonObject()));
        return out;
    }

    /** The TaskManagers (by resource id) that run subtasks of one vertex of the job. */
    Set<String> taskManagersOf(String jobId, String vertexId) throws Exception {
        Set<String> ids = new java.util.TreeSet<>();
        get("/jobs/" + jobId + "/vertices/" + vertexId + "/taskmanagers").getAsJsonArray("taskmanagers")
                .forEach(t -> ids.add(t.getAsJsonObject().get("taskmanager-id").getAsString()));
        return ids;
    }

    void cancel(String jobId) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(rest("/jobs/" + jobId + "?mode=cancel"))).method("PATCH", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The log of a process started by this cluster. */
    String log(String name) throws IOException {
        return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
    }

    /** The last lines of a log, for failure messages. */
    String tail(String name) throws IOException {
        return tail(dir.resolve(name + ".log"));
    }

    @Override
    public void close() {
        for (Process p : processes.values()) {
            p.destroyForcibly();
        }
        for (Process p : processes.values()) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    private void start(String name, String mainClass, List<String> jvmArgs, List<String> programArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(JAVA_OPTS);
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", classpath, mainClass, "--configDir", conf.toString()));
        cmd.addAll(programArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OMP_NUM_THREADS", "1");
        processes.put(name, pb.start());
    }

    private void waitFor(String path, Predicate<JsonObject> ready, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (ready.test(get(path))) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            for (Map.Entry<String, Process> p : processes.entrySet()) {
                if (!p.getValue().isAlive()) {
                    throw new AssertionError(p.getKey() + " exited with " + p.getValue().exitValue() + ":\n" + tail(p.getKey()));
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no " + what + " within " + timeout + (last == null ? "" : " (" + last + ")"));
    }

    private JsonObject get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(rest(path))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private String rest(String path) {
        return "http://localhost:" + restPort + path;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Flink's jars from the test classpath plus the DJL jars of target/flink-lib (which replace their copies there). */
    static String libClasspath(Path flinkLib) throws IOException {
        Set<String> djl;
        List<String> entries = new ArrayList<>();
        try (Stream<Path> jars = Files.list(flinkLib)) {
            List<Path> lib = jars.filter(p -> p.toString().endsWith(".jar")).sorted().collect(Collectors.toList());
            djl = lib.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            lib.forEach(p -> entries.add(p.toString()));
        }
        String testClasspath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String e : testClasspath.split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            boolean jobOrTest = !e.endsWith(".jar");
            if (jobOrTest || djl.contains(name) || NOT_IN_LIB.stream().anyMatch(name::startsWith)) {
                continue;
            }
            entries.add(e);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
