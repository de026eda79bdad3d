package io.latentwatch.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.latentwatch.TestModels;
import io.latentwatch.ThreadLeaks;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.TestJobs;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The alert console as an operator sees it: a real broker, the scoring job on a MiniCluster with fine-tuning (a real
 * model swap), alert map pictures on, the synthetic camera's PNG frames with injected anomalies, the console, and
 * the page in Debian's headless Chromium driven by its chromedriver. The page must show alert cards whose pictures
 * loaded, a drawn score trace with its threshold, and an accepted swap in the model timeline; the screenshot goes to
 * {@code target/console-screenshot.png}. Without chromium and chromedriver the test is skipped (fails where CI=true).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AlertConsoleBrowserITCase {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOT = Path.of("target", "console-screenshot.png");
    private static final Duration PAGE_WAIT = Duration.ofSeconds(180);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafka kafka;

    @TempDir Path tmp;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.builder().partitions(1).start();
        TestModels.detector(); // trained once per JVM, before any job's clock runs
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void thePageShowsLiveAlertsScoreTracesAndAModelSwap() throws Exception {
        assumeBrowser();
        Set<Thread> before = ThreadLeaks.snapshot();
        String p = "console-" + Long.toHexString(System.nanoTime()) + "-";
        kafka.createTopics(p + "frames", p + "latents", p + "alerts", p + "dlq", p + "updates");
        KafkaClientConfig client = KafkaClientConfig.of(kafka.clientProperties());
        JobClient job = startJob(p);
        SyntheticCamera camera = TestModels.camera().anomalyRate(0.15).optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> producerFailure = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                FrameProducer.send(client, p + "frames", FrameProducer.camera(camera, 2, "png"), 10, 0, Duration.ofMinutes(5), stop::get,
                        s -> sent.incrementAndGet());
            } catch (Throwable t) {
                producerFailure.set(t);
            }
        }, "latentwatch-console-itcase-camera");
        AlertConsole console = AlertConsole.builder().setKafkaClientConfig(client).optPort(0)
                .optTopics(p + "alerts", p + "latents", p + "updates", p + "frames").build().start();
        WebDriver browser = null;
        try {
            producer.start();
            browser = chromium();
            browser.get(console.url());
            JavascriptExecutor js = (JavascriptExecutor) browser;
            WebDriverWait wait = new WebDriverWait(browser, PAGE_WAIT, Duration.ofMillis(250));
            wait.withMessage(() -> "the page did not show everything within " + PAGE_WAIT.toSeconds() + " s (" + sent.get()
                    + " frames sent, producer failure " + producerFailure.get() + "): " + js.executeScript(PAGE_SUMMARY));

            // an accepted swap in the timeline, frames scored by the new version in a trace (its swap marker)
            wait.until(d -> Boolean.TRUE.equals(js.executeScript(
                    "return [...document.querySelectorAll('#model-timeline .model-update.accepted')].some(e => Number(e.dataset.version) > 1)")));
            wait.until(d -> Boolean.TRUE.equals(js.executeScript("return document.querySelector('svg.score-trace line.model-swap') !== null")));
            // alert cards whose frame and anomaly map pictures have loaded, the region's box drawn on the frame
            wait.until(d -> ((Number) js.executeScript(LOADED_CARDS)).intValue() >= 6);
            wait.until(d -> Boolean.TRUE.equals(js.executeScript(
                    "return document.querySelector('.alert-card .frame-picture svg.region-box rect') !== null")));
            // a trace per source, each a drawn score line with its threshold line
            wait.until(d -> ((Number) js.executeScript(DRAWN_TRACES)).intValue() >= 2);

            Number cards = (Number) js.executeScript("return document.querySelectorAll('.alert-card').length");
            Number distinct = (Number) js.executeScript("return new Set([...document.querySelectorAll('.alert-card')].map(c => c.dataset.frameId)).size");
            assertEquals(cards.intValue(), distinct.intValue(), "one card per frame id");
            assertEquals("live", js.executeScript("return document.getElementById('connection').textContent"));
            String rejectedOrAccepted = (String) js.executeScript("return document.querySelector('#model-timeline .model-update .reason').textContent");
            assertTrue(rejectedOrAccepted != null && !rejectedOrAccepted.isBlank(), "a decision shows its reason");

            Files.createDirectories(SCREENSHOT.getParent());
            Files.write(SCREENSHOT, ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
            System.out.printf("console: %d frames sent, page: %s; screenshot %s%n", sent.get(), js.executeScript(PAGE_SUMMARY), SCREENSHOT.toAbsolutePath());
        } finally {
            stop.set(true);
            if (browser != null) {
                browser.quit();
            }
            producer.join(TimeUnit.SECONDS.toMillis(30));
            console.close();
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        if (producerFailure.get() != null) {
            fail("the camera's producer failed", producerFailure.get());
        }
        ThreadLeaks.assertNoNewThreads(before, Duration.ofSeconds(15), t -> t.getName().contains("latentwatch-console"));
    }

    /** Cards whose every picture (frame and anomaly map) has loaded. */
    private static final String LOADED_CARDS = "return [...document.querySelectorAll('.alert-card')].filter(c => {"
            + " const imgs = [...c.querySelectorAll('img')];"
            + " return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth > 0); }).length";

    /** Traces with a score line of several points and a threshold line. */
    private static final String DRAWN_TRACES = "return [...document.querySelectorAll('svg.score-trace')].filter(s => {"
            + " const line = s.querySelector('path.score-line');"
            + " return line && (line.getAttribute('d').match(/L/g) || []).length >= 5 && s.querySelector('path.threshold-line'); }).length";

    private static final String PAGE_SUMMARY = "return JSON.stringify({cards: document.querySelectorAll('.alert-card').length,"
            + " traces: document.querySelectorAll('svg.score-trace').length,"
            + " updates: [...document.querySelectorAll('#model-timeline .model-update')].map(e => e.className + ' v' + e.dataset.version),"
            + " connection: document.getElementById('connection').textContent})";

    /** The fine-tuning settings of FineTuningITCase (a real swap after the first 60 normal frames), alert map pictures on. */
    private JobClient startJob(String p) throws Exception {
        ScoringJob job = TestJobs.fineTuning(kafka, p, tmp.resolve("registry")).set(ScoringJobOptions.ALERT_MAP_PNG, true).build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        return job.start(env);
    }

    /** Skips without Debian's chromium and chromedriver, except on CI, where they must be there. */
    private static void assumeBrowser() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String missing = "no " + CHROMIUM + " and " + CHROMEDRIVER + ": apt-get install chromium chromium-driver";
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(missing + " (CI=true: the browser test must run)");
        }
        assumeTrue(present, missing);
    }

    /** Headless Chromium through the given chromedriver: paths set, so Selenium Manager neither looks nor downloads. */
    private WebDriver chromium() throws Exception {
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments(List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")), "--window-size=1400,1000"));
        return new ChromeDriver(service, options);
    }
}
