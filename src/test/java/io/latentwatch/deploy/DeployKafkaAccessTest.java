package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Who may do what on the Kafka cluster, as kafka-users.yaml grants it and as Kafka's simple authorizer would
 * decide it ({@link Acls}): cameras write frames and nothing else, only the job writes the outputs and
 * model-updates, the job has every right it uses, the ACLs name exactly the topics of kafka-topics.yaml; and the
 * FlinkDeployment logs in as the job's user.
 */
class DeployKafkaAccessTest {

    private static final String JOB = "latentwatch-job";
    private static final String CAMERA = "latentwatch-camera";
    private static final String CONSUMER = "latentwatch-consumer";

    /** One ACL rule of a KafkaUser. */
    record Rule(String user, boolean allow, String resourceType, String name, boolean prefix, Set<String> operations) {

        boolean covers(String type, String resource, String operation) {
            if (!resourceType.equals(type)) {
                return false;
            }
            boolean named = type.equals("cluster") || name.equals("*") || (prefix ? resource.startsWith(name) : resource.equals(name));
            return named && operations.stream().anyMatch(granted -> implies(granted, operation));
        }

        /** Kafka's implications: All covers everything; Read, Write, Delete, Alter imply Describe; AlterConfigs DescribeConfigs. */
        private static boolean implies(String granted, String operation) {
            return granted.equals(operation) || granted.equals("All")
                    || (operation.equals("Describe") && Set.of("Read", "Write", "Delete", "Alter").contains(granted))
                    || (operation.equals("DescribeConfigs") && granted.equals("AlterConfigs"));
        }
    }

    /** The rules of kafka-users.yaml, with the simple authorizer's decision: a deny wins, else any allow. */
    record Acls(List<Rule> rules) {

        static Acls load(String yaml) {
            List<Rule> rules = new ArrayList<>();
            for (Object user : DeployFiles.loadAll(yaml)) {
                String name = String.valueOf(DeployFiles.at(user, "metadata", "name"));
                for (Object r : DeployFiles.list(user, "spec", "authorization", "acls")) {
                    Object type = DeployFiles.at(r, "type");
                    Object pattern = DeployFiles.at(r, "resource", "patternType");
                    Object resourceName = DeployFiles.at(r, "resource", "name");
                    rules.add(new Rule(name, type == null || "allow".equals(type), String.valueOf(DeployFiles.at(r, "resource", "type")),
                            resourceName == null ? "*" : resourceName.toString(), "prefix".equals(pattern),
                            DeployFiles.list(r, "operations").stream().map(String::valueOf).collect(Collectors.toSet())));
                }
            }
            return new Acls(rules);
        }

        boolean allowed(String user, String type, String resource, String operation) {
            List<Rule> mine = rules.stream().filter(r -> r.user().equals(user) && r.covers(type, resource, operation)).toList();
            return mine.stream().noneMatch(r -> !r.allow()) && mine.stream().anyMatch(Rule::allow);
        }

        Set<String> users() {
            return rules.stream().map(Rule::user).collect(Collectors.toCollection(TreeSet::new));
        }

        /** The users who may do {@code operation} on topic {@code topic}. */
        Set<String> who(String operation, String topic) {
            return users().stream().filter(u -> allowed(u, "topic", topic, operation)).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static List<Object> users() {
        return DeployFiles.loadAll(DeployFiles.read(DeployFiles.k8sDir().resolve("kafka-users.yaml")));
    }

    private static Acls acls() {
        return Acls.load(DeployFiles.read(DeployFiles.k8sDir().resolve("kafka-users.yaml")));
    }

    private static List<Object> kafkaTopics() {
        return DeployFiles.loadAll(DeployFiles.read(DeployFiles.k8sDir().resolve("kafka-topics.yaml")));
    }

    private static Set<String> topics() {
        return kafkaTopics().stream().map(t -> String.valueOf(DeployFiles.at(t, "metadata", "name"))).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, Object> flinkDeployment() {
        return DeployFiles.loadOne(DeployFiles.k8sDir().resolve("flink-deployment.yaml"));
    }

    /** The job's arguments as option -> value (a flag without value -> "true"). */
    @SuppressWarnings("unchecked")
    private static Map<String, String> jobOptions() {
        List<String> args = (List<String>) (List<?>) DeployFiles.list(flinkDeployment(), "spec", "job", "args");
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            boolean hasValue = i + 1 < args.size() && !args.get(i + 1).startsWith("--");
            options.put(args.get(i), hasValue ? args.get(++i) : "true");
        }
        return options;
    }

    @Test
    void usersLogInWithScramOnTheTopicsCluster() {
        Set<String> clusters = kafkaTopics().stream().map(t -> String.valueOf(DeployFiles.at(t, "metadata", "labels", "strimzi.io/cluster")))
                .collect(Collectors.toSet());
        assertEquals(Set.of("latentwatch"), clusters);
        Set<String> names = new TreeSet<>();
        for (Object u : users()) {
            String name = String.valueOf(DeployFiles.at(u, "metadata", "name"));
            names.add(name);
            assertEquals("latentwatch", DeployFiles.at(u, "metadata", "labels", "strimzi.io/cluster"), name);
            assertEquals("scram-sha-512", DeployFiles.at(u, "spec", "authentication", "type"), name);
            assertEquals("simple", DeployFiles.at(u, "spec", "authorization", "type"), name);
        }
        assertEquals(new TreeSet<>(Set.of(JOB, CAMERA, CONSUMER)), names);
    }

    @Test
    void topicAclsNameExactlyTheTopicsOfKafkaTopics() {
        List<Rule> topicRules = acls().rules().stream().filter(r -> r.resourceType().equals("topic")).toList();
        // a prefix or * would also grant topics added later
        for (Rule r : topicRules) {
            assertFalse(r.prefix() || r.name().equals("*"), "a topic ACL that is not one literal topic: " + r);
        }
        assertEquals(topics(), topicRules.stream().map(Rule::name).collect(Collectors.toCollection(TreeSet::new)));
    }

    @Test
    void camerasWriteFramesAndNothingElse() {
        Acls acls = acls();
        for (String topic : topics()) {
            assertEquals(topic.equals("frames"), acls.allowed(CAMERA, "topic", topic, "Write"), "camera writes " + topic);
            assertFalse(acls.allowed(CAMERA, "topic", topic, "Read"), "camera reads " + topic);
        }
        assertEquals(Set.of(CAMERA), acls.who("Write", "frames"), "who writes frames");
        // nothing but topic rules: no group, transactional id or cluster right
        assertEquals(Set.of("topic"), acls.rules().stream().filter(r -> r.user().equals(CAMERA)).map(Rule::resourceType).collect(Collectors.toSet()));
    }

    @Test
    void onlyTheJobWritesTheOutputsAndModelUpdates() {
        Acls acls = acls();
        for (String topic : List.of("latents", "alerts", "frames-dlq", "model-updates")) {
            assertEquals(Set.of(JOB), acls.who("Write", topic), "who writes " + topic);
        }
        // model-updates picks the model the scorers serve: only the job reads it too
        assertEquals(Set.of(JOB), acls.who("Read", "model-updates"), "who reads model-updates");
    }

    @Test
    void consumersReadLatentsAndAlertsOnly() {
        Acls acls = acls();
        for (String topic : topics()) {
            assertEquals(Set.of("latents", "alerts").contains(topic), acls.allowed(CONSUMER, "topic", topic, "Read"), "consumer reads " + topic);
            assertFalse(acls.allowed(CONSUMER, "topic", topic, "Write"), "consumer writes " + topic);
        }
        assertTrue(acls.allowed(CONSUMER, "group", "latentwatch-consumer-dashboard", "Read"));
    }

    /** Everything the job does on Kafka, for the group and topics its arguments give. */
    @Test
    void theJobUserMayDoWhatTheJobDoes() {
        Acls acls = acls();
        Map<String, String> o = jobOptions();
        String group = o.getOrDefault("--group", "latentwatch");
        String txPrefix = o.getOrDefault("--transactional-id-prefix", group);
        String frames = o.get("--frames-topic");
        String updates = o.get("--model-updates-topic");
        List<String> outputs = List.of(o.get("--latents-topic"), o.get("--alerts-topic"), o.get("--dlq-topic"), updates);
        List<String> missing = new ArrayList<>();
        // the sources, and the topic check at start (listTopics shows only topics the user may Describe)
        need(acls, missing, "topic", frames, "Read", "Describe");
        need(acls, missing, "topic", updates, "Read", "Describe");
        for (String t : outputs) {
            need(acls, missing, "topic", t, "Write", "Describe");
        }
        // max.message.bytes of frames and the DLQ, the broker's transaction.max.timeout.ms
        need(acls, missing, "topic", frames, "DescribeConfigs");
        need(acls, missing, "topic", o.get("--dlq-topic"), "DescribeConfigs");
        need(acls, missing, "cluster", "kafka-cluster", "DescribeConfigs");
        // offsets committed on checkpoints by both sources
        need(acls, missing, "group", group, "Read", "Describe");
        need(acls, missing, "group", group + "-model-updates", "Read", "Describe");
        // KafkaSink's transactional ids: <prefix>-<sink>-<subtask>-<checkpoint>
        for (String sink : List.of("latents", "alerts", "dlq", "model-updates")) {
            need(acls, missing, "transactionalId", txPrefix + "-" + sink + "-3-17", "Write", "Describe");
        }
        assertEquals(List.of(), missing, "rights the job uses that latentwatch-job lacks");
    }

    private static void need(Acls acls, List<String> missing, String type, String resource, String... operations) {
        for (String op : operations) {
            if (!acls.allowed(JOB, type, resource, op)) {
                missing.add(op + " on " + type + " " + resource);
            }
        }
    }

    @Test
    void noOtherUserTouchesTheJobsGroupsOrTransactions() {
        Acls acls = acls();
        String group = jobOptions().getOrDefault("--group", "latentwatch");
        for (String user : List.of(CAMERA, CONSUMER)) {
            for (String g : List.of(group, group + "-model-updates")) {
                assertFalse(acls.allowed(user, "group", g, "Read"), user + " may join the job's group " + g);
            }
            assertFalse(acls.allowed(user, "transactionalId", group + "-latents-0-1", "Write"), user + " may fence the job's transactions");
        }
    }

    /** The check refuses what it should: a camera rule widened to a topic prefix writes the outputs too. */
    @Test
    void theAclModelSeesAWidenedRule() {
        String yaml = DeployFiles.read(DeployFiles.k8sDir().resolve("kafka-users.yaml"));
        String camera = yaml.substring(yaml.indexOf("  name: " + CAMERA));
        String widened = yaml.replace(camera, camera.replaceFirst("name: frames\n", "name: \"*\"\n"));
        assertFalse(widened.equals(yaml));
        Acls acls = Acls.load(widened);
        assertEquals(Set.of(JOB, CAMERA), acls.who("Write", "model-updates"));
        assertTrue(acls.allowed(JOB, "topic", "latents", "Describe"), "Write implies Describe");
        assertFalse(acls.allowed(JOB, "topic", "latents", "Read"));
    }

    // ---- the FlinkDeployment's login ----------------------------------------------------------------------------

    private static Object jobManagerPod() {
        return DeployFiles.at(flinkDeployment(), "spec", "jobManager", "podTemplate", "spec");
    }

    private static Object taskManagerPod() {
        return DeployFiles.at(flinkDeployment(), "spec", "taskManager", "podTemplate", "spec");
    }

    private static Object container(Object pod, String list, String name) {
        return DeployFiles.list(pod, list).stream().filter(c -> name.equals(DeployFiles.at(c, "name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + list + " " + name));
    }

    /** The volume of {@code pod} that {@code container} mounts where {@code path} lies. */
    private static Object volumeAt(Object pod, Object container, String path) {
        for (Object m : DeployFiles.list(container, "volumeMounts")) {
            String dir = String.valueOf(DeployFiles.at(m, "mountPath"));
            if (path.startsWith(dir.endsWith("/") ? dir : dir + "/")) {
                String name = String.valueOf(DeployFiles.at(m, "name"));
                return DeployFiles.list(pod, "volumes").stream().filter(v -> name.equals(DeployFiles.at(v, "name"))).findFirst()
                        .orElseThrow(() -> new AssertionError("no volume " + name));
            }
        }
        throw new AssertionError(DeployFiles.at(container, "name") + " mounts nothing at " + path);
    }

    @Test
    void theFlinkDeploymentLogsInAsTheJobUser() {
        Map<String, String> o = jobOptions();
        assertEquals("latentwatch-kafka-bootstrap:9093", o.get("--bootstrap-servers"), "Strimzi's TLS listener");
        String properties = o.get("--command-config");
        assertNotNull(properties, "the job gets no Kafka properties file");

        // main() reads the file in the JobManager; an init container writes it there, onto the same volume
        Object pod = jobManagerPod();
        Object main = container(pod, "containers", "flink-main-container");
        Object init = container(pod, "initContainers", "kafka-client-config");
        assertEquals(DeployFiles.at(volumeAt(pod, main, properties), "name"), DeployFiles.at(volumeAt(pod, init, properties), "name"));
        String script = String.valueOf(DeployFiles.list(init, "command").get(2));
        assertTrue(script.contains("> " + properties), script);
        assertTrue(script.contains("security.protocol=SASL_SSL") && script.contains("sasl.mechanism=SCRAM-SHA-512"), script);

        // from the Secret that Strimzi keeps for the job's KafkaUser
        String jaas = script.replaceAll("(?s).*\\$\\(cat (\\S+/sasl\\.jaas\\.config)\\).*", "$1");
        assertTrue(jaas.endsWith("/sasl.jaas.config"), "the script reads no sasl.jaas.config: " + script);
        assertEquals(JOB, DeployFiles.at(volumeAt(pod, init, jaas), "secret", "secretName"));

        // the truststore the properties name is on every pod whose clients use them: the JobManager's and the TaskManagers'
        String truststore = script.replaceAll("(?s).*ssl\\.truststore\\.location=(\\S+?)\"?\\n.*", "$1");
        assertTrue(truststore.startsWith("/"), script);
        for (Object p : List.of(pod, taskManagerPod())) {
            Object volume = volumeAt(p, container(p, "containers", "flink-main-container"), truststore);
            assertEquals("latentwatch-cluster-ca-cert", DeployFiles.at(volume, "secret", "secretName"));
        }
    }

    @Test
    void theSigningKeyIsWhereTheJobAndTheScorersReadIt() {
        String key = jobOptions().get("--latentwatch.model-updates.signing-key-file");
        assertNotNull(key, "the job signs no model-updates");
        for (Object p : List.of(jobManagerPod(), taskManagerPod())) {
            Object volume = volumeAt(p, container(p, "containers", "flink-main-container"), key);
            assertNotNull(DeployFiles.at(volume, "secret", "secretName"), "the signing key is not from a Secret: " + volume);
        }
    }

    /**
     * The operator merges the shared pod template into each role's list by list position (its default), so a list
     * that both set must name the same entries at the same places, or the role's overwrite the shared ones.
     */
    @Test
    void podTemplateListsSetTwiceAgreeByPosition() {
        Object shared = DeployFiles.at(flinkDeployment(), "spec", "podTemplate");
        List<String> clashes = new ArrayList<>();
        for (String role : List.of("jobManager", "taskManager")) {
            clashes(shared, DeployFiles.at(flinkDeployment(), "spec", role, "podTemplate"), role + ".podTemplate", clashes);
        }
        assertEquals(List.of(), clashes);
    }

    private static void clashes(Object shared, Object role, String path, List<String> out) {
        if (shared instanceof Map && role instanceof Map) {
            for (Object k : ((Map<?, ?>) role).keySet()) {
                clashes(((Map<?, ?>) shared).get(k), ((Map<?, ?>) role).get(k), path + "." + k, out);
            }
        } else if (shared instanceof List && role instanceof List) {
            List<?> a = (List<?>) shared;
            List<?> b = (List<?>) role;
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                Object na = DeployFiles.at(a.get(i), "name");
                Object nb = DeployFiles.at(b.get(i), "name");
                if (na != null && nb != null && !na.equals(nb)) {
                    out.add(path + "[" + i + "]: " + nb + " would overwrite the shared " + na);
                } else {
                    clashes(a.get(i), b.get(i), path + "[" + i + "]", out);
                }
            }
        }
    }
}
