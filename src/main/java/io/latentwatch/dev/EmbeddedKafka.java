package io.latentwatch.dev;

import io.latentwatch.pipeline.kafka.TopicNames;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import kafka.server.BrokerServer;
import kafka.server.ControllerServer;
import kafka.server.FaultHandlerFactory;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.server.Server$;
import kafka.server.SharedServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.raft.QuorumConfig;
import org.apache.kafka.server.fault.FaultHandler;
import org.apache.kafka.server.fault.LoggingFaultHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * A real Kafka broker (KRaft, one node that is both broker and controller) running in this JVM, for tests, the
 * demo and {@code latentwatch broker}. It listens on localhost only, keeps its data in a temporary directory that
 * {@link #close()} removes, and sets every replication factor and min.insync.replicas to 1 so that consumer groups
 * and transactions work with a single broker.
 *
 * <p>With {@link Builder#sasl(String, String)} its client listener (and its controller listener) accept only
 * SASL/PLAIN with that user name and password; {@link #clientProperties()} holds what a client then needs.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(3).start()) {
 *     kafka.createTopics("frames", "latents");
 *     producerProps.putAll(kafka.clientProperties()); // bootstrap.servers (+ SASL settings)
 * }
 * }</pre>
 *
 * <p>The broker never ends the JVM: a fault that would stop a standalone Kafka is logged and kept in
 * {@link #fatalFault()}.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** The host every listener binds to and advertises. */
    public static final String HOST = "localhost";

    static final String PLAINTEXT_LISTENER = "PLAINTEXT";
    static final String SASL_LISTENER = "SASL_PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String PLAIN = "PLAIN";
    private static final int NODE_ID = 1;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Path dataDir;
    private final PreboundSockets sockets;
    private final int port;
    private final int defaultPartitions;
    private final String username;
    private final String password;
    private final AtomicReference<Throwable> fatalFault = new AtomicReference<>();
    private KafkaConfig config;
    private ControllerServer controller;
    private BrokerServer broker;
    private boolean closed;

    private EmbeddedKafka(Builder b) throws IOException {
        this.defaultPartitions = b.partitions;
        this.username = b.username;
        this.password = b.password;
        this.sockets = new PreboundSockets();
        Path dir = null;
        try {
            String listener = username == null ? PLAINTEXT_LISTENER : SASL_LISTENER;
            this.port = sockets.bind(listener, HOST, b.port);
            int controllerPort = sockets.bind(CONTROLLER_LISTENER, HOST, 0);
            dir = Files.createTempDirectory("latentwatch-kafka-");
            this.dataDir = dir;
            this.config = new KafkaConfig(brokerConfig(b, listener, controllerPort), false);
            String clusterId = Uuid.randomUuid().toString();
            format(config, clusterId);
            startServers(config);
        } catch (IOException | RuntimeException | Error e) {
            shutDownServers();
            sockets.closeUnused();
            if (dir != null) {
                deleteQuietly(dir);
            }
            throw e;
        }
    }

    /** A builder for a broker on a free port, plaintext, one partition per new topic. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options of the broker; {@link #start()} starts it. */
    public static final class Builder {
        private int port;
        private int partitions = 1;
        private String username;
        private String password;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {}

        /** The client listener's port on localhost; 0 (the default) takes a free one. */
        public Builder port(int port) {
            checkArgument(port >= 0 && port <= 65535, "port must be in 0..65535 (0 = a free port), got %s", port);
            this.port = port;
            return this;
        }

        /** Partitions of each topic that {@link #createTopics(String...)} or auto-creation makes (default 1). */
        public Builder partitions(int partitions) {
            checkArgument(partitions >= 1, "partitions must be at least 1, got %s", partitions);
            this.partitions = partitions;
            return this;
        }

        /**
         * Makes the broker accept only SASL/PLAIN clients that log in as this user; all other users, and clients
         * without credentials, are refused.
         */
        public Builder sasl(String username, String password) {
            checkArgument(username != null && USERNAME.matcher(username).matches(),
                    "SASL username must match %s, got %s", USERNAME, username);
            checkArgument(password != null && !password.isEmpty(), "SASL password must not be empty");
            this.username = username;
            this.password = password;
            return this;
        }

        /** Sets a broker configuration property (Kafka's name), overriding what this class sets. */
        public Builder brokerProperty(String name, String value) {
            checkArgument(name != null && !name.isBlank(), "broker property name must not be blank");
            checkArgument(value != null, "broker property %s needs a value", name);
            overrides.put(name, value);
            return this;
        }

        /**
         * Formats a fresh temporary data directory and starts the broker; returns once it accepts clients.
         *
         * @throws BindException if the requested port is taken
         */
        public EmbeddedKafka start() throws IOException {
            return new EmbeddedKafka(this);
        }
    }

    /** {@code localhost:PORT} of the client listener (SASL_PLAINTEXT when SASL is on, else PLAINTEXT). */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client listener's port. */
    public int port() {
        return port;
    }

    /** Whether clients must log in with SASL/PLAIN. */
    public boolean saslEnabled() {
        return username != null;
    }

    /**
     * What every client of this broker needs: {@code bootstrap.servers}, and with SASL also
     * {@code security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config} for the configured user.
     */
    public Map<String, Object> clientProperties() {
        return saslEnabled() ? clientProperties(username, password) : Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }

    /**
     * Client properties that log in with the given SASL/PLAIN credentials, right or wrong (for testing refusals).
     *
     * @throws IllegalStateException if this broker was built without {@link Builder#sasl(String, String)}
     */
    public Map<String, Object> clientProperties(String user, String pass) {
        if (!saslEnabled()) {
            throw new IllegalStateException("this broker has no SASL listener; build it with sasl(username, password)");
        }
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SASL_LISTENER);
        props.put(SaslConfigs.SASL_MECHANISM, PLAIN);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, plainJaasConfig(user, pass, Map.of()));
        return props;
    }

    /** Creates topics with the builder's partition count; topics that exist already are left as they are. */
    public void createTopics(String... names) {
        createTopics(defaultPartitions, names);
    }

    /**
     * Creates topics with this many partitions (replication factor 1) through an AdminClient and waits until they
     * exist; topics that exist already are left as they are.
     *
     * @throws IllegalArgumentException for a name Kafka does not allow or partitions below 1
     */
    public void createTopics(int partitions, String... names) {
        checkArgument(partitions >= 1, "partitions must be at least 1, got %s", partitions);
        List<NewTopic> topics = new ArrayList<>();
        for (String name : new LinkedHashSet<>(Arrays.asList(names))) {
            TopicNames.check(name);
            topics.add(new NewTopic(name, partitions, (short) 1));
        }
        Map<String, Object> props = new HashMap<>(clientProperties());
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, "latentwatch-embedded-kafka-admin");
        try (Admin admin = Admin.create(props)) {
            for (var entry : admin.createTopics(topics).values().entrySet()) {
                try {
                    entry.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + entry.getKey() + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("topics not created within " + ADMIN_TIMEOUT.toSeconds() + " s", e);
        }
    }


    /** The first fault that would have stopped a standalone broker, if any. */
    public Optional<Throwable> fatalFault() {
        return Optional.ofNullable(fatalFault.get());
    }

    /** The temporary data directory (removed by {@link #close()}). */
    public Path dataDirectory() {
        return dataDir;
    }

    /**
     * Stops the broker and its controller as an outage would (a controlled shutdown), keeping its data and ports'
     * numbers, so that {@link #restart()} brings the same cluster back: for tests of what clients do meanwhile.
     */
    public synchronized void stop() {
        checkArgument(!closed, "the broker is closed");
        shutDownServers();
        LOG.info("Kafka broker on {}:{} stopped", HOST, port);
    }

    /** Starts a broker stopped with {@link #stop()} again, on the same ports with the same data. */
    public synchronized void restart() {
        checkArgument(!closed, "the broker is closed");
        checkArgument(broker == null, "the broker is running");
        startServers(config);
    }

    /** Whether the broker is up (started and not stopped). */
    public synchronized boolean running() {
        return broker != null;
    }

    /** Stops the broker (controlled shutdown), waits for its threads, and removes its data directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // an interrupted caller (Ctrl-C handling, a cancelled task) would cut the controlled shutdown short
        boolean interrupted = Thread.interrupted();
        try {
            shutDownServers();
            sockets.closeUnused();
            deleteQuietly(dataDir);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Map<String, Object> brokerConfig(Builder b, String listener, int controllerPort) {
        boolean sasl = username != null;
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", listener + "://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", listener + "://" + HOST + ":" + port);
        String controllerProtocol = sasl ? SASL_LISTENER : PLAINTEXT_LISTENER;
        p.put("listener.security.protocol.map", listener + ":" + listener + "," + CONTROLLER_LISTENER + ":" + controllerProtocol);
        p.put("inter.broker.listener.name", listener);
        if (sasl) {
            String jaas = plainJaasConfig(username, password, Map.of(username, password));
            p.put("sasl.enabled.mechanisms", PLAIN);
            p.put("sasl.mechanism.inter.broker.protocol", PLAIN);
            p.put("sasl.mechanism.controller.protocol", PLAIN);
            p.put("listener.name." + listener.toLowerCase() + ".plain.sasl.jaas.config", jaas);
            p.put("listener.name." + CONTROLLER_LISTENER.toLowerCase() + ".plain.sasl.jaas.config", jaas);
        }
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", String.valueOf(b.partitions));
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // a consumer group starts at once instead of waiting 3 s for more members
        p.put("group.initial.rebalance.delay.ms", "0");
        // the log cleaner (for __consumer_offsets) would otherwise take 128 MiB of heap
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        p.putAll(b.overrides);
        return p;
    }

    /** What {@code kafka-storage.sh format} does: meta.properties and the bootstrap metadata. */
    private void format(KafkaConfig config, String clusterId) throws IOException {
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(clusterId)
                .setDirectories(List.of(dataDir.toString()))
                .setMetadataLogDirectory(config.metadataLogDir())
                .setControllerListenerName(CONTROLLER_LISTENER);
        try {
            formatter.run();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("could not format " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** What KafkaRaftServer does, with our socket factory and fault handlers. */
    private void startServers(KafkaConfig config) {
        Tuple2<MetaPropertiesEnsemble, BootstrapMetadata> dirs =
                KafkaRaftServer.initializeLogDirs(config, LOG, "[EmbeddedKafka] ");
        MetaPropertiesEnsemble ensemble = dirs._1();
        Metrics metrics = Server$.MODULE$.initializeMetrics(config, Time.SYSTEM, ensemble.clusterId().get());
        SharedServer shared = new SharedServer(
                config,
                ensemble,
                Time.SYSTEM,
                metrics,
                CompletableFuture.completedFuture(QuorumConfig.parseVoterConnections(config.quorumConfig().voters())),
                QuorumConfig.parseBootstrapServers(config.quorumConfig().bootstrapServers()),
                new NonTerminatingFaultHandlers(),
                sockets);
        controller = new ControllerServer(shared, KafkaRaftServer.configSchema(), dirs._2());
        broker = new BrokerServer(shared);
        controller.startup();
        broker.startup();
        int bound = broker.boundPort(ListenerName.normalised(saslEnabled() ? SASL_LISTENER : PLAINTEXT_LISTENER));
        LOG.info("Kafka broker (KRaft) started on {}:{}, data in {}", HOST, bound, dataDir);
    }

    private void shutDownServers() {
        // as KafkaRaftServer: the broker first, since the controller is needed for its controlled shutdown
        if (broker != null) {
            swallow("broker shutdown", () -> broker.shutdown(SHUTDOWN_TIMEOUT));
        }
        if (controller != null) {
            swallow("controller shutdown", controller::shutdown);
        }
        if (broker != null) {
            swallow("broker awaitShutdown", broker::awaitShutdown);
        }
        if (controller != null) {
            swallow("controller awaitShutdown", controller::awaitShutdown);
        }
        broker = null;
        controller = null;
    }

    private static void swallow(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("{} failed", what, e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            LOG.warn("could not delete {}", dir, e);
        }
    }

    /** A PlainLoginModule configuration: the login {@code user}/{@code pass}, and for a broker the users it accepts. */
    static String plainJaasConfig(String user, String pass, Map<String, String> acceptedUsers) {
        StringBuilder s = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        s.append(" username=").append(quote(user)).append(" password=").append(quote(pass));
        acceptedUsers.forEach((u, pw) -> s.append(" user_").append(u).append('=').append(quote(pw)));
        return s.append(';').toString();
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static void checkArgument(boolean ok, String message, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(message, args));
        }
    }

    /** Fault handlers that log, remember the first fatal fault, and never halt the JVM (Kafka's standard ones do). */
    private final class NonTerminatingFaultHandlers implements FaultHandlerFactory {
        @Override
        public FaultHandler build(String name, boolean fatal, Runnable action) {
            LoggingFaultHandler logging = new LoggingFaultHandler(name, action);
            if (!fatal) {
                return logging;
            }
            return (message, cause) -> {
                RuntimeException e = logging.handleFault(message, cause);
                fatalFault.compareAndSet(null, e);
                return e;
            };
        }
    }
}
