package io.latentwatch.pipeline.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The Kafka client settings that every consumer, producer and admin client of latentwatch gets: bootstrap servers
 * and whatever a properties file adds (security.protocol, sasl.*, ssl.*, client tuning). Immutable.
 *
 * <p>Secrets stay out of sight: {@link #toString()} and {@link #describe()} show every value that Kafka types as a
 * password (sasl.jaas.config, ssl.*.password, ...), and any key that names a secret, as {@code [hidden]}; nothing
 * here logs the values. Kafka's own clients print their configuration with the same values hidden.
 */
public final class KafkaClientConfig {

    /** Listed in the job's options ({@code ScoringJobOptions}); here because {@link #of} names it when it is missing. */
    public static final ConfigOption<String> BOOTSTRAP_SERVERS =
            ConfigOptions.key("latentwatch.kafka.bootstrap-servers")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Kafka bootstrap servers (host:port,...). Required unless the properties file sets bootstrap.servers.");

    /** Shown in place of a secret. */
    public static final String HIDDEN = "[hidden]";

    /** Settings that latentwatch chooses for each client itself; a properties file must not set them. */
    private static final Set<String> RESERVED = Set.of(
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            ConsumerConfig.GROUP_ID_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);

    private static final List<String> SECRET_WORDS = List.of("password", "secret", "jaas", "token", "credential", "key.pem", "keystore.key");

    private final Map<String, String> properties;

    private KafkaClientConfig(Map<String, String> properties) {
        this.properties = Map.copyOf(properties);
    }

    /**
     * Bootstrap servers and the settings of a properties file.
     *
     * @param bootstrapServers host:port,...; null to take bootstrap.servers from the file
     * @param propertiesFile a Java properties file, or null
     * @throws IllegalArgumentException if neither names bootstrap servers, if they disagree, or if the file sets
     *     a setting that latentwatch chooses itself (serialisers, group.id, transactional.id, enable.auto.commit)
     * @throws IOException if the file cannot be read
     */
    public static KafkaClientConfig of(String bootstrapServers, Path propertiesFile) throws IOException {
        Map<String, String> p = new TreeMap<>();
        if (propertiesFile != null) {
            Properties file = new Properties();
            try (Reader r = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8)) {
                file.load(r);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("Kafka properties file " + propertiesFile + " does not exist");
            }
            for (String key : file.stringPropertyNames()) {
                if (RESERVED.contains(key)) {
                    throw new IllegalArgumentException("Kafka properties file " + propertiesFile + " sets " + key
                            + ", which latentwatch sets for each client itself; remove it");
                }
                p.put(key, file.getProperty(key).trim());
            }
        }
        String fromFile = p.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrapServers != null && !bootstrapServers.isBlank()) {
            if (fromFile != null && !fromFile.equals(bootstrapServers.trim())) {
                throw new IllegalArgumentException("bootstrap servers " + bootstrapServers + " differ from bootstrap.servers="
                        + fromFile + " in " + propertiesFile + "; give one of them");
            }
            p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.trim());
        } else if (fromFile == null || fromFile.isBlank()) {
            throw new IllegalArgumentException("no Kafka bootstrap servers: give them (--bootstrap-servers or "
                    + BOOTSTRAP_SERVERS.key() + ") or set bootstrap.servers in the properties file");
        }
        return new KafkaClientConfig(p);
    }

    /** From a map such as the development broker's {@code EmbeddedKafka.clientProperties()} (values turned into strings). */
    public static KafkaClientConfig of(Map<String, ?> properties) {
        Map<String, String> p = new TreeMap<>();
        properties.forEach((k, v) -> p.put(k, String.valueOf(v)));
        if (!p.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("Kafka client properties lack bootstrap.servers");
        }
        return new KafkaClientConfig(p);
    }

    public String bootstrapServers() {
        return properties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }

    /** A fresh copy of every setting, for one client. */
    public Properties toProperties() {
        Properties p = new Properties();
        p.putAll(properties);
        return p;
    }

    /** A fresh copy of every setting as a map, for one client. */
    public Map<String, Object> toMap() {
        return new TreeMap<>(properties);
    }

    /** Whether a setting is present. */
    public boolean has(String key) {
        return properties.containsKey(key);
    }

    /** The settings with every secret hidden, one {@code key=value} per entry, sorted. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        new TreeMap<>(properties).forEach((k, v) -> lines.add(k + "=" + (isSecret(k) ? HIDDEN : v)));
        return lines;
    }

    /** Whether Kafka types a setting as a password, or its name says it holds a secret. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        for (ConfigDef def : List.of(ConsumerConfig.configDef(), ProducerConfig.configDef(), AdminClientConfig.configDef())) {
            ConfigDef.ConfigKey known = def.configKeys().get(key);
            if (known != null && known.type == ConfigDef.Type.PASSWORD) {
                return true;
            }
        }
        return SECRET_WORDS.stream().anyMatch(k::contains);
    }

    /**
     * Checks with an admin client that the topics exist.
     *
     * @throws IllegalStateException naming the missing topics, or why the cluster could not be asked
     */
    public void checkTopicsExist(Collection<String> topics, long timeoutMillis) {
        Map<String, Object> p = toMap();
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "latentwatch-topic-check");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMillis);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
        try (Admin admin = Admin.create(p)) {
            Set<String> existing = admin.listTopics().names().get(timeoutMillis, TimeUnit.MILLISECONDS);
            List<String> missing = topics.stream().filter(t -> !existing.contains(t)).distinct().toList();
            if (!missing.isEmpty()) {
                throw new IllegalStateException("topic" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                        + (missing.size() == 1 ? " does" : " do") + " not exist on " + bootstrapServers()
                        + " (create " + (missing.size() == 1 ? "it" : "them") + ", e.g. with kafka-topics.sh or latentwatch broker)");
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the topics of " + bootstrapServers() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers() + " did not answer within " + timeoutMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the topics", e);
        }
    }

    @Override
    public String toString() {
        return "KafkaClientConfig" + describe();
    }
}
