package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/ctathena/ctathena/tables"
)

// awsClients are the real SDK clients, built in one place from the SDK's
// config chain (profile, region, SSO, AWS_ENDPOINT_URL and the per-service
// variants) with the tool's user agent.
type awsClients struct {
	cfg    aws.Config
	s3     *s3.Client
	glue   *glue.Client
	athena *athena.Client
	orgs   *organizations.Client
	sts    *sts.Client
}

func (g *globals) awsClients(ctx context.Context, region string) (*awsClients, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithAppID("ctathena/" + version),
		// The SDK's own warnings (IMDS fallback, checksum notes, retries)
		// are not for the user as they come: they go through sdkLogger,
		// which shows them only with --debug, and no client logs its
		// requests or responses.
		awsconfig.WithLogger(sdkLogger{g: g}), awsconfig.WithClientLogMode(0)}
	if g.profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(g.profile))
	}
	if g.region != "" {
		region = g.region
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, usageErr("no AWS region set: pass --region or set AWS_REGION")
	}
	// Fail before anything runs when there are no usable credentials, rather
	// than with every query of an investigation.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &exitErr{code: exitCredentials, err: fmt.Errorf("AWS credentials: %w", err)}
	}
	// An endpoint override (moto, LocalStack) serves buckets by path, not by
	// virtual host.
	override := g.getenv("AWS_ENDPOINT_URL") != "" || g.getenv("AWS_ENDPOINT_URL_S3") != "" || cfg.BaseEndpoint != nil
	return &awsClients{
		cfg: cfg,
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if override {
				o.UsePathStyle = true
			}
		}),
		glue:   glue.NewFromConfig(cfg),
		athena: athena.NewFromConfig(cfg),
		orgs:   organizations.NewFromConfig(cfg),
		sts:    sts.NewFromConfig(cfg),
	}, nil
}

// sdkLogger receives the AWS SDK's log lines. They are written for SDK
// developers (and can name endpoints and credential sources), so they are
// shown only with --debug, one line each, marked as the SDK's.
type sdkLogger struct{ g *globals }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if !l.g.debug {
		return
	}
	msg := strings.Join(strings.Fields(fmt.Sprintf(format, v...)), " ")
	l.g.progressf("aws sdk %s: %s", strings.ToLower(string(c)), msg)
}

// configPath is --config, or ./ctathena.json.
func (g *globals) configPath() string {
	if g.config != "" {
		return g.config
	}
	return "ctathena.json"
}

// loadConfig reads the config setup wrote; a missing file is a usage error
// that says to run setup.
func (g *globals) loadConfig() (*tables.Config, error) {
	p := g.configPath()
	c, err := tables.LoadConfig(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usageErr("no ctathena config at %s: run 'ctathena setup --trail-bucket B --results s3://…/' first, pass --config FILE, or work offline with --logs DIR", p)
		}
		return nil, usageErr("read config %s: %v", p, err)
	}
	return c, nil
}
