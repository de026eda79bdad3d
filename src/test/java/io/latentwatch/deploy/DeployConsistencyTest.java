package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.cli.LatentwatchCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * What the Dockerfile, docker-compose.yml and the Kubernetes manifests say about each other and about the job
 * agrees: jar path, entry class, topics, GPU, metrics port, Flink keys, and the latentwatch command lines they run.
 * (Each file's own validity: DeployManifestsTest here, docker-compose config, promtool and a Dockerfile linter in
 * .ci/validate-deploy.)
 */
class DeployConsistencyTest {

    /** DESIGN.md's topics. */
    private static final Set<String> TOPICS = Set.of("frames", "latents", "alerts", "frames-dlq", "model-updates");

    private static Map<String, Object> flinkDeployment() {
        return DeployFiles.loadOne(DeployFiles.k8sDir().resolve("flink-deployment.yaml"));
    }

    private static Map<String, Object> compose() {
        return DeployFiles.loadOne(DeployFiles.compose());
    }

    private static Map<String, Object> service(String name) {
        return DeployFiles.map(compose(), "services", name);
    }

    /** The submit service's shell script. */
    private static String submitScript() {
        List<Object> command = DeployFiles.list(service("submit"), "command");
        return String.valueOf(command.get(command.size() - 1));
    }

    /** The arguments after the jar in the submit service's flink run, as the shell splits them. */
    private static List<String> submitJobArgs() {
        String script = submitScript().replace("\\\n", " ");
        String afterJar = script.substring(script.indexOf(".jar") + 4).trim();
        return Arrays.asList(afterJar.split("\\s+"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> jobArgs() {
        return (List<String>) (List<?>) DeployFiles.list(flinkDeployment(), "spec", "job", "args");
    }

    private static String dockerfileUsrlibJar() {
        Matcher m = Pattern.compile("COPY .*? (/opt/flink/usrlib/\\S+\\.jar)").matcher(DeployFiles.read(DeployFiles.dockerfile()));
        assertTrue(m.find(), "deploy/Dockerfile copies no jar into /opt/flink/usrlib");
        return m.group(1);
    }

    @Test
    void jobJarAndEntryClassAreTheSameEverywhere() {
        String jar = dockerfileUsrlibJar();
        Map<String, Object> job = DeployFiles.map(flinkDeployment(), "spec", "job");
        assertEquals("local://" + jar, job.get("jarURI"));
        String entryClass = String.valueOf(job.get("entryClass"));
        assertTrue(entryClass.startsWith("io.latentwatch.pipeline."), entryClass);
        String script = submitScript();
        assertTrue(script.contains(jar), "the submit service runs another jar than " + jar);
        assertTrue(script.contains("--class " + entryClass), "the submit service runs another class than " + entryClass);
        assertTrue(DeployFiles.read(DeployFiles.root().resolve("deploy/bin/latentwatch")).contains(jar.substring("/opt/flink/".length())),
                "deploy/bin/latentwatch does not use " + jar);
    }

    /**
     * Options only the Kubernetes job takes: its Kafka requires SCRAM logins (kafka-users.yaml) and it signs
     * model-updates; compose's broker listens on loopback only and takes no login.
     */
    private static final Set<String> KUBERNETES_ONLY_OPTIONS = Set.of("--command-config", "--latentwatch.model-updates.signing-key-file");

    @Test
    void theJobRunsWithTheSameOptionsOnKubernetesAndInCompose() {
        Set<String> k8s = optionNames(jobArgs());
        assertTrue(k8s.containsAll(KUBERNETES_ONLY_OPTIONS), k8s.toString());
        k8s.removeAll(KUBERNETES_ONLY_OPTIONS);
        assertEquals(k8s, optionNames(submitJobArgs()));
    }

    private static Set<String> optionNames(List<String> args) {
        return args.stream().filter(a -> a.startsWith("--")).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void topicsAreDesignsEverywhere() {
        Set<String> k8s = new TreeSet<>();
        for (Object doc : DeployFiles.loadAll(DeployFiles.read(DeployFiles.k8sDir().resolve("kafka-topics.yaml")))) {
            k8s.add(String.valueOf(DeployFiles.at(doc, "metadata", "name")));
        }
        assertEquals(new TreeSet<>(TOPICS), k8s, "KafkaTopics");

        String topicsScript = DeployFiles.list(service("topics"), "command").get(0).toString();
        for (String t : TOPICS) {
            assertTrue(Pattern.compile("(\\s|--topic )" + Pattern.quote(t) + "(\\s|;|$)").matcher(topicsScript).find(),
                    "docker-compose.yml's topics service does not create " + t);
        }
        // the job fine-tunes in both deployments, so it uses all five, and names them
        Set<String> jobTopics = new TreeSet<>(TOPICS);
        for (List<String> args : List.of(jobArgs(), submitJobArgs())) {
            assertTrue(args.contains("--fine-tune") && args.contains("--registry"), "the job fine-tunes: " + args);
            Set<String> used = new TreeSet<>();
            for (int i = 0; i + 1 < args.size(); i++) {
                if (args.get(i).endsWith("-topic")) {
                    used.add(args.get(i + 1));
                }
            }
            assertEquals(jobTopics, used, "topics in the job's arguments " + args);
        }
    }

    @Test
    void everyTaskManagerPodGetsOneGpu() {
        List<Object> containers = DeployFiles.list(flinkDeployment(), "spec", "taskManager", "podTemplate", "spec", "containers");
        Object main = containers.stream().filter(c -> "flink-main-container".equals(DeployFiles.at(c, "name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no flink-main-container in the TaskManager pod template"));
        assertEquals(1, DeployFiles.at(main, "resources", "limits", "nvidia.com/gpu"));
        assertEquals("v2_2", DeployFiles.at(flinkDeployment(), "spec", "flinkVersion"));
    }

    @Test
    void composeGpuProfileReservesNvidiaDevicesForTheCudaImage() {
        Map<String, Object> gpu = service("taskmanager-gpu");
        assertEquals(List.of("gpu"), gpu.get("profiles"));
        assertEquals("cuda", DeployFiles.at(gpu, "build", "args", "VARIANT"));
        Object device = DeployFiles.at(gpu, "deploy", "resources", "reservations", "devices", 0);
        assertEquals("nvidia", DeployFiles.at(device, "driver"));
        assertEquals(List.of("gpu"), DeployFiles.at(device, "capabilities"));
        assertEquals("cpu", DeployFiles.at(service("taskmanager"), "build", "args", "VARIANT"));
    }

    @Test
    void metricsPortIsTheSameEverywhere() {
        Map<String, Object> conf = DeployFiles.map(flinkDeployment(), "spec", "flinkConfiguration");
        String port = String.valueOf(conf.get("metrics.reporter.prom.port"));
        assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory", conf.get("metrics.reporter.prom.factory.class"));
        Object container = DeployFiles.at(flinkDeployment(), "spec", "podTemplate", "spec", "containers", 0);
        List<Object> ports = DeployFiles.list(container, "ports");
        assertTrue(ports.stream().anyMatch(p -> "metrics".equals(DeployFiles.at(p, "name"))
                && port.equals(String.valueOf(DeployFiles.at(p, "containerPort")))), "no container port metrics:" + port);
        assertEquals(port, DeployFiles.at(flinkDeployment(), "spec", "podTemplate", "metadata", "annotations", "prometheus.io/port"));

        Map<String, Object> podMonitor = DeployFiles.loadOne(DeployFiles.k8sDir().resolve("monitoring/pod-monitor.yaml"));
        assertEquals(DeployFiles.at(flinkDeployment(), "metadata", "name"), DeployFiles.at(podMonitor, "spec", "selector", "matchLabels", "app"));
        assertEquals("metrics", DeployFiles.at(podMonitor, "spec", "podMetricsEndpoints", 0, "port"));

        assertEquals(port, composeFlinkProperties().get("metrics.reporter.prom.port"));
        assertTrue(DeployFiles.read(DeployFiles.dockerfile()).contains("EXPOSE " + port));
        String prometheus = DeployFiles.read(DeployFiles.root().resolve("deploy/prometheus/compose.yml"));
        assertTrue(prometheus.contains("jobmanager:" + port) && prometheus.contains("port: " + port), prometheus);
    }

    /** FLINK_PROPERTIES as the image's entrypoint reads them: one key: value a line, whitespace dropped. */
    private static Map<String, String> composeFlinkProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        String text = String.valueOf(DeployFiles.at(service("jobmanager"), "environment", "FLINK_PROPERTIES"));
        for (String line : text.split("\n")) {
            String l = line.replaceAll("\\s", "");
            if (!l.isEmpty()) {
                int colon = l.indexOf(':');
                assertTrue(colon > 0, "FLINK_PROPERTIES line without key: " + line);
                props.put(l.substring(0, colon), l.substring(colon + 1));
            }
        }
        return props;
    }

    @Test
    void composeFlinkPropertiesAreFlink22KeysAndTheSameForEveryFlinkContainer() {
        Map<String, String> props = composeFlinkProperties();
        assertTrue(props.size() >= 10, props.toString());
        List<String> unknown = props.keySet().stream().filter(k -> !FlinkConfigKeys.get().isKnown(k)).collect(Collectors.toList());
        assertEquals(List.of(), unknown, "FLINK_PROPERTIES keys that Flink 2.2 does not know");
        Object expected = DeployFiles.at(service("jobmanager"), "environment", "FLINK_PROPERTIES");
        for (String s : List.of("taskmanager", "taskmanager-gpu", "submit")) {
            assertEquals(expected, DeployFiles.at(service(s), "environment", "FLINK_PROPERTIES"), s);
        }
        // the checkpoint directory is on the volume every Flink container mounts
        assertTrue(props.get("execution.checkpointing.dir").startsWith("file:///flink-data/"));
        for (String s : List.of("jobmanager", "taskmanager", "taskmanager-gpu")) {
            assertTrue(DeployFiles.list(service(s), "volumes").contains("flink-data:/flink-data"), s);
        }
    }

    /**
     * compose is for one machine: its Kafka takes no login and Flink's REST API runs any jar, so every published
     * port binds the host's loopback, never all interfaces (Docker's default for "HOST:CONTAINER").
     */
    @Test
    void composePublishesPortsOnLoopbackOnly() {
        List<String> open = new ArrayList<>();
        int published = 0;
        for (Map.Entry<String, Object> e : DeployFiles.map(compose(), "services").entrySet()) {
            Object ports = DeployFiles.at(e.getValue(), "ports");
            if (ports == null) {
                continue;
            }
            for (Object p : (List<?>) ports) {
                published++;
                // short syntax [IP:][HOST:]CONTAINER[/PROTOCOL]; long syntax {target, published, host_ip, ...}
                String ip = p instanceof Map ? String.valueOf(((Map<?, ?>) p).get("host_ip")) : p.toString().split(":").length == 3 ? p.toString().split(":")[0] : "";
                if (!ip.equals("127.0.0.1")) {
                    open.add(e.getKey() + ": " + p);
                }
            }
        }
        assertTrue(published >= 3, "expected Kafka's, Flink's and Prometheus's ports, found " + published);
        assertEquals(List.of(), open, "ports published on every interface of the host");
    }

    @Test
    void composeBuildsAndMountsFilesThatExist() {
        Map<String, Object> services = DeployFiles.map(compose(), "services");
        for (Map.Entry<String, Object> e : services.entrySet()) {
            Object build = DeployFiles.at(e.getValue(), "build");
            if (build != null) {
                Path context = DeployFiles.root().resolve(String.valueOf(DeployFiles.at(build, "context")));
                assertTrue(Files.isDirectory(context), e.getKey() + ": no build context " + context);
                assertTrue(Files.isRegularFile(context.resolve(String.valueOf(DeployFiles.at(build, "dockerfile")))), e.getKey());
            }
            Object volumes = DeployFiles.at(e.getValue(), "volumes");
            if (volumes instanceof List) {
                for (Object v : (List<?>) volumes) {
                    String source = v.toString().split(":")[0];
                    if (source.startsWith("./")) {
                        assertTrue(Files.exists(DeployFiles.root().resolve(source)), e.getKey() + " mounts a missing " + source);
                    }
                }
            }
        }
    }

    @Test
    void kustomizationsListEveryManifestOfTheirFolder() throws Exception {
        for (Path dir : List.of(DeployFiles.k8sDir(), DeployFiles.k8sDir().resolve("monitoring"))) {
            Set<String> listed = new LinkedHashSet<>();
            for (Object r : DeployFiles.list(DeployFiles.loadOne(dir.resolve("kustomization.yaml")), "resources")) {
                if (!Files.isDirectory(dir.resolve(r.toString()))) {
                    listed.add(r.toString());
                }
            }
            Set<String> present = new TreeSet<>();
            try (Stream<Path> files = Files.list(dir)) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                        .forEach(present::add);
            }
            assertEquals(present, new TreeSet<>(listed), dir.toString());
        }
    }

    /**
     * compose's Grafana reads the provisioning and the dashboard where they are mounted, and its datasource is the
     * compose Prometheus; on Kubernetes, the monitoring kustomization makes the sidecar's ConfigMap from the same
     * dashboard file.
     */
    @Test
    void grafanaServesTheOneDashboardFileInComposeAndOnKubernetes() {
        Map<String, Object> grafana = service("grafana");
        assertEquals(List.of("metrics"), grafana.get("profiles"));
        assertTrue(String.valueOf(grafana.get("image")).matches("grafana/grafana:11\\.\\d+\\.\\d+"), "a pinned Grafana 11: " + grafana.get("image"));
        assertEquals(List.of("prometheus"), grafana.get("depends_on"));
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object v : DeployFiles.list(grafana, "volumes")) {
            String[] parts = v.toString().split(":");
            assertEquals("ro", parts.length == 3 ? parts[2] : "", "mounted read-only: " + v);
            mounts.put(parts[0], parts[1]);
        }
        assertEquals("/etc/grafana/provisioning", mounts.get("./deploy/grafana/provisioning"), mounts.toString());
        String dashboards = mounts.get("./deploy/grafana/dashboards");
        Path grafanaDir = DeployFiles.root().resolve("deploy/grafana");
        Map<String, Object> provider = DeployFiles.map(DeployFiles.loadOne(grafanaDir.resolve("provisioning/dashboards/latentwatch.yml")), "providers", 0);
        assertEquals(dashboards, DeployFiles.at(provider, "options", "path"), "the provider reads the mounted dashboards");
        assertEquals(dashboards + "/" + GrafanaDashboard.FILE.getFileName(), DeployFiles.at(grafana, "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"));

        Map<String, Object> datasource = DeployFiles.map(DeployFiles.loadOne(grafanaDir.resolve("provisioning/datasources/prometheus.yml")), "datasources", 0);
        assertEquals("http://prometheus:9090", datasource.get("url"));
        assertTrue(DeployFiles.list(service("prometheus"), "ports").stream().anyMatch(p -> p.toString().endsWith(":9090")));

        Map<String, Object> monitoring = DeployFiles.loadOne(DeployFiles.k8sDir().resolve("monitoring/kustomization.yaml"));
        assertEquals(DeployFiles.at(DeployFiles.loadOne(DeployFiles.k8sDir().resolve("kustomization.yaml")), "namespace"), monitoring.get("namespace"));
        Path generatorDir = null;
        for (Object r : DeployFiles.list(monitoring, "resources")) {
            Path p = DeployFiles.k8sDir().resolve("monitoring").resolve(r.toString()).normalize();
            generatorDir = Files.isRegularFile(p.resolve("kustomization.yaml")) ? p : generatorDir;
        }
        assertEquals(grafanaDir, generatorDir, "monitoring/ takes in deploy/grafana's kustomization");
        Map<String, Object> kustomization = DeployFiles.loadOne(grafanaDir.resolve("kustomization.yaml"));
        Object generator = DeployFiles.at(kustomization, "configMapGenerator", 0);
        assertEquals(List.of(grafanaDir.relativize(GrafanaDashboard.FILE).toString()), DeployFiles.at(generator, "files"));
        assertEquals("1", DeployFiles.at(kustomization, "generatorOptions", "labels", "grafana_dashboard"), "the label Grafana's sidecar looks for");
        assertEquals(true, DeployFiles.at(kustomization, "generatorOptions", "disableNameSuffixHash"));
    }

    /**
     * The latentwatch command lines that the deployment runs parse with the command of this build: the job's
     * arguments as `latentwatch run`, the camera's `produce`, the model service's `train`. A subcommand that this
     * build does not have yet is reported as skipped, with the command line it would have to accept.
     */
    @TestFactory
    Stream<DynamicTest> latentwatchCommandLinesParse() {
        List<List<String>> lines = new ArrayList<>();
        List<String> run = new ArrayList<>(List.of("run"));
        run.addAll(asRunArgs(jobArgs()));
        lines.add(run);
        List<String> composeRun = new ArrayList<>(List.of("run"));
        composeRun.addAll(asRunArgs(submitJobArgs()));
        lines.add(composeRun);
        List<String> camera = DeployFiles.list(service("camera"), "command").stream().map(String::valueOf).collect(Collectors.toList());
        assertEquals("latentwatch", camera.get(0));
        lines.add(camera.subList(1, camera.size()));
        String model = String.valueOf(DeployFiles.list(service("model"), "command").get(0));
        lines.add(Arrays.asList(model.substring(model.indexOf("latentwatch ") + "latentwatch ".length()).trim().split("\\s+")));
        return lines.stream().map(args -> DynamicTest.dynamicTest("latentwatch " + String.join(" ", args), () -> {
            Assumptions.assumeTrue(LatentwatchCommand.commandLine().getSubcommands().containsKey(args.get(0)),
                    "this build has no `latentwatch " + args.get(0) + "` yet");
            parse(args);
        }));
    }

    /**
     * main()'s arguments as `latentwatch run` takes them: main() takes any job option as {@code --latentwatch.KEY
     * VALUE}, `run` as {@code -D latentwatch.KEY=VALUE}.
     */
    private static List<String> asRunArgs(List<String> mainArgs) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < mainArgs.size(); i++) {
            String a = mainArgs.get(i);
            if (a.startsWith("--latentwatch.") && i + 1 < mainArgs.size()) {
                out.add("-D");
                out.add(a.substring(2) + "=" + mainArgs.get(++i));
            } else {
                out.add(a);
            }
        }
        return out;
    }

    /** Parses a command line as `latentwatch` would; ParameterException on an unknown option or a bad value. */
    private static void parse(List<String> args) {
        LatentwatchCommand.commandLine().parseArgs(args.toArray(String[]::new));
    }

    @Test
    void theCommandLineCheckRefusesWhatTheCommandRefuses() {
        parse(List.of("import-pytorch", "--weights", "w.safetensors", "--config", "c.json", "--out", "m"));
        assertThrows(CommandLine.ParameterException.class,
                () -> parse(List.of("import-pytorch", "--wieghts", "w.safetensors", "--config", "c.json", "--out", "m")));
        assertFalse(jobArgs().isEmpty());
        assertTrue(submitJobArgs().contains("--bootstrap-servers"), submitJobArgs().toString());
    }
}
