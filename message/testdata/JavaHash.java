// JavaHash reads lines of hex-encoded bytes ("-" for none) on stdin and
// prints, for each, the line followed by String.hashCode() of
// new String(bytes, UTF_8). It produced java_string_hash.txt and backs
// the javadiff-tagged differential test:
//
//	go test -tags javadiff -run TestJavaHashDifferential ./message/
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

public class JavaHash {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintWriter out = new PrintWriter(System.out);
        for (String line; (line = in.readLine()) != null; ) {
            String hex = line.equals("-") ? "" : line;
            byte[] b = new byte[hex.length() / 2];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
            }
            out.println(line + " " + new String(b, StandardCharsets.UTF_8).hashCode());
        }
        out.flush();
    }
}
