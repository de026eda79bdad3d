package io.latentwatch.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.ThreadLeaks;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The console's server without a broker: the page, its pictures' 404s, the event stream's snapshot, and a clean close. */
@Timeout(60)
class AlertConsoleTest {

    /** Kafka that is not there: the reader retries quietly meanwhile; the server does not need it. */
    private static KafkaClientConfig nowhere() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return KafkaClientConfig.of(Map.of("bootstrap.servers", "localhost:" + s.getLocalPort()));
        }
    }

    @Test
    void servesThePageAndTheEventStreamAndLeavesNothingBehind() throws Exception {
        Set<Thread> before = ThreadLeaks.snapshot();
        HttpClient http = HttpClient.newBuilder().executor(Runnable::run).build();
        try (AlertConsole console = AlertConsole.builder().setKafkaClientConfig(nowhere()).optPort(0).build().start()) {
            assertTrue(console.url().matches("http://localhost:\\d+/"), console.url());
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(console.url())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("id=\"model-timeline\""), page.body());
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
            for (String asset : new String[] {"console.js", "console.css"}) {
                assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(console.url() + asset)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode(), asset);
            }
            assertEquals(404, status(http, console.url() + "frames/" + "f%2F1"));
            assertEquals(404, status(http, console.url() + "maps/f-1"));
            assertEquals(404, status(http, console.url() + "etc/passwd"));
            assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(console.url())).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());

            HttpResponse<java.io.InputStream> events = http.send(HttpRequest.newBuilder(URI.create(console.url() + "events")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals("text/event-stream; charset=utf-8", events.headers().firstValue("Content-Type").orElse(""));
            BufferedReader lines = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8));
            assertEquals("retry: 2000", lines.readLine());
            assertEquals("", lines.readLine());
            assertEquals("event: snapshot", lines.readLine());
            String data = lines.readLine();
            assertTrue(data.startsWith("data: {\"max_alerts\":200,\"alerts\":[]"), data);
            assertEquals(1, console.pagesWatching());
            console.close(); // ends the open stream
            assertEquals("", lines.readLine());
            assertEquals(null, lines.readLine(), "the stream ends when the console closes");
        }
        ThreadLeaks.assertNoNewThreads(before, Duration.ofSeconds(10), t -> !t.getName().startsWith("HttpClient"));
    }

    @Test
    void aTakenPortIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            AlertConsole console = AlertConsole.builder().setKafkaClientConfig(nowhere()).optPort(taken.getLocalPort()).build();
            BindException e = assertThrows(BindException.class, console::start);
            assertTrue(e.getMessage().startsWith("cannot listen on localhost:" + taken.getLocalPort() + " ("), e.getMessage());
            console.close();
        }
    }

    @Test
    void badSettingsAreRefusedNamingThem() throws Exception {
        assertEquals("port must be in 0..65535 (0 = a free port), got 70000",
                assertThrows(IllegalArgumentException.class, () -> AlertConsole.builder().optPort(70000)).getMessage());
        assertEquals("alerts topic and frames topic are both 'x'; each needs its own",
                assertThrows(IllegalArgumentException.class, () -> AlertConsole.builder().optTopics("x", "l", "m", "x")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AlertConsole.builder().optLatentsTopic("a b")).getMessage()
                .startsWith("latents topic: topic name is invalid"));
        assertEquals("the Kafka client config is required (setKafkaClientConfig)",
                assertThrows(IllegalStateException.class, () -> AlertConsole.builder().build()).getMessage());
    }

    private static int status(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
